// cli/main.cpp — `moonreel serve | check | routes | config | repl | spec | run | models`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "infer/infer_config.hpp"
#include "jobs/queue.hpp"
#include "log/log.hpp"
#include "store/store.hpp"

extern char** environ;

int main(int argc, char** argv) {
  CLI::App app{"moonreel — a LuaJIT engine for AI storyboarding and media-generation backends"};
  app.set_version_flag("--version", MOONREEL_VERSION);
  app.require_subcommand(1);

  mr::cli::ConfigInputs in;
  std::string host, log_level, log_format, data;
  int port = -1, workers = -1, job_workers = -1;
  std::vector<std::string> sets;
  app.add_option("--root", in.root, "app root (api/, scripts/, workflows/); default: current directory");
  app.add_option("--config", in.config_file, "configuration file; default: <root>/moonreel.conf.lua");
  app.add_option("--data", data, "data directory; default: <root>/var");
  app.add_option("--log-level", log_level, "trace | debug | info | warn | error");
  app.add_option("--log-format", log_format, "text | json");
  app.add_option("--set", sets, "any configuration key: --set server.max_body_bytes=1048576");

  auto* serve = app.add_subcommand("serve", "serve the app over HTTP, reloading scripts on change");
  serve->add_option("--host", host, "address to listen on");
  serve->add_option("--port", port, "TCP port (0 = any free port)");
  serve->add_option("--workers", workers, "HTTP worker threads");
  serve->add_option("--job-workers", job_workers, "job worker threads (0 = run no jobs)");
  auto* check = app.add_subcommand("check", "load every script; list problems as file:line; exit 1 if any");
  auto* routes = app.add_subcommand("routes", "print the route table");
  auto* config = app.add_subcommand("config", "print the effective configuration and where each value came from");
  auto* repl = app.add_subcommand("repl", "interactive Lua with the engine's modules; --connect attaches to a server");
  bool connect = false;
  std::string socket;
  repl->add_flag("--connect", connect, "attach to a running server's REPL socket");
  repl->add_option("socket", socket, "socket path (default <data>/moonreel.sock)");
  auto* spec = app.add_subcommand("spec", "run Lua spec files (*_spec.lua) against the app");
  std::vector<std::string> spec_paths;
  spec->add_option("paths", spec_paths, "spec files or folders")->required();

  auto* run = app.add_subcommand("run", "run one workflow here, with a progress bar; prints the result JSON");
  mr::cli::RunOptions run_opt;
  run->add_option("workflow", run_opt.workflow, "workflow name (workflows/<name>.lua)")->required();
  run->add_option("--input", run_opt.input, "input JSON object, @file holding one, or an image file (→ input.image)");
  run->add_option("--scale", run_opt.scale, "sets input.scale (`run upscale --input a.png --scale 4`)");
  run->add_option("--provider", run_opt.provider, "provider to use (sets input.provider)");
  run->add_option("--project", run_opt.project, "project id (sets input.project_id: `run animatic --project ID`)");
  run->add_option("--output", run_opt.output, "copy the result's first artifact to this path");
  run->add_option("--timeout", run_opt.timeout_s, "seconds before the run is stopped (default jobs.timeout_s)");

  auto* models = app.add_subcommand("models", "inference models: list what is declared and present, pull weights");
  models->require_subcommand(1);
  mr::cli::ModelsOptions models_opt;
  auto* models_list = models->add_subcommand("list", "declared models and whether their file is present");
  models_list->add_flag("--json", models_opt.json, "print JSON");
  auto* models_pull = models->add_subcommand("pull", "fetch, check, convert and store a model's pinned weights");
  models_pull->add_option("names", models_opt.names, "model names (moonreel models list)");
  models_pull->add_flag("--all", models_opt.all, "every declared model with a source, except explicit-only ones");

  // Global options may also follow the subcommand: `moonreel serve --root x`.
  for (auto* sub : {serve, check, routes, config, repl, spec, run, models, models_list, models_pull}) {
    sub->add_option("--root", in.root, "app root");
    sub->add_option("--config", in.config_file, "configuration file");
    sub->add_option("--data", data, "data directory");
    sub->add_option("--log-level", log_level, "log level");
    sub->add_option("--log-format", log_format, "text | json");
    sub->add_option("--set", sets, "key=value");
  }

  CLI11_PARSE(app, argc, argv);

  try {
    if (!host.empty()) in.flags["server.host"] = host;
    if (port >= 0) in.flags["server.port"] = std::to_string(port);
    if (workers >= 0) in.flags["server.workers"] = std::to_string(workers);
    if (job_workers >= 0) in.flags["jobs.workers"] = std::to_string(job_workers);
    if (!data.empty()) in.flags["data"] = data;
    if (!log_level.empty()) in.flags["log.level"] = log_level;
    if (!log_format.empty()) in.flags["log.format"] = log_format;
    for (const auto& kv : sets) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) throw mr::config::ConfigError("--set expects key=value, got '" + kv + "'");
      in.flags[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    auto cfg = mr::cli::resolve(in, environ);
    // Tools other than serve stay quiet unless asked: their output is the product.
    std::string level = cfg.str("log.level");
    if (!serve->parsed() && cfg.source_of("log.level") == "default") level = "warn";
    mr::log::setup(level, cfg.str("log.format"));
    mr::config::publish(cfg);
    mr::store::configure(cfg.str("data"));
    mr::jobs::queue().configure(mr::jobs::options_from_config(cfg));
    mr::infer::configure_from(cfg);

    if (serve->parsed()) return mr::cli::cmd_serve(cfg);
    if (check->parsed()) return mr::cli::cmd_check(cfg);
    if (routes->parsed()) return mr::cli::cmd_routes(cfg);
    if (config->parsed()) return mr::cli::cmd_config(cfg);
    if (repl->parsed()) return mr::cli::cmd_repl(cfg, connect, socket);
    if (spec->parsed()) return mr::cli::cmd_spec(cfg, spec_paths);
    if (run->parsed()) return mr::cli::cmd_run(cfg, run_opt);
    if (models->parsed()) {
      models_opt.action = models_pull->parsed() ? "pull" : "list";
      return mr::cli::cmd_models(cfg, models_opt);
    }
  } catch (const std::exception& e) {
    std::cerr << "moonreel: " << e.what() << std::endl;
    return 2;
  }
  return 0;
}
