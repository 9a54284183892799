// cli/app_config.cpp — layering configuration for CLI commands.
#include "cli/app_config.hpp"

#include <filesystem>

namespace fs = std::filesystem;

namespace mr::cli {

config::Config resolve(const ConfigInputs& in, char** envp) {
  config::Config cfg;
  // The root decides where the conf file is, so find it first: flag > env > ".".
  std::string root = in.root;
  if (root.empty()) {
    if (const char* env_root = std::getenv("MOONREEL_ROOT")) root = env_root;
  }
  if (root.empty()) root = ".";
  std::string conf = in.config_file.empty() ? (fs::path(root) / "moonreel.conf.lua").string() : in.config_file;
  if (!in.config_file.empty() && !fs::exists(conf)) throw config::ConfigError("config file not found: " + conf);
  if (fs::exists(conf)) cfg.apply_file(conf);
  cfg.apply_env(envp);
  if (!in.root.empty()) cfg.set("root", in.root, "flag --root");
  for (const auto& [k, v] : in.flags) cfg.set_text(k, v, "flag");
  if (cfg.str("data").empty()) cfg.set("data", (fs::path(cfg.str("root")) / "var").string(), "default (<root>/var)");
  return cfg;
}

}  // namespace mr::cli
