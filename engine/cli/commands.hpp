// cli/commands.hpp — one function per `moonreel` subcommand.
//
// Contract: each takes the resolved configuration and returns the process
// exit code. main.cpp parses flags (CLI11) and picks the command.
#pragma once
#include <string>
#include <vector>

#include "config/config.hpp"

namespace mr::cli {

int cmd_serve(const config::Config& cfg);
int cmd_check(const config::Config& cfg);
int cmd_routes(const config::Config& cfg);
int cmd_config(const config::Config& cfg);
int cmd_repl(const config::Config& cfg, bool connect, const std::string& socket);
int cmd_spec(const config::Config& cfg, const std::vector<std::string>& paths);

struct RunOptions {
  std::string workflow, input, provider, project, output;
  double timeout_s = 0;
  int scale = 0;  // sets input.scale when > 0
};
int cmd_run(const config::Config& cfg, const RunOptions& opt);

struct ModelsOptions {
  std::string action;              // list | pull
  std::vector<std::string> names;  // pull: the models
  bool all = false, json = false;
};
int cmd_models(const config::Config& cfg, const ModelsOptions& opt);

std::string socket_path(const config::Config& cfg);
// Opens and migrates the configured database; false (after saying why on stderr) on failure.
bool prepare_database(const config::Config& cfg);

}  // namespace mr::cli
