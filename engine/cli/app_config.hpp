// cli/app_config.hpp — building the effective configuration for a CLI command.
//
// Contract: resolve() applies the layers in order — defaults, the conf file
// (<root>/moonreel.conf.lua or --config), MOONREEL_* environment, flags — and
// fills `data` when left empty (<root>/var). Flags are given as key → text.
#pragma once
#include <map>
#include <string>

#include "config/config.hpp"

namespace mr::cli {

struct ConfigInputs {
  std::string root;         // --root ("" = not given)
  std::string config_file;  // --config ("" = <root>/moonreel.conf.lua if it exists)
  std::map<std::string, std::string> flags;  // key → text, from command-line flags
};

config::Config resolve(const ConfigInputs& in, char** envp);

}  // namespace mr::cli
