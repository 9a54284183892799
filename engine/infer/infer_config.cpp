// infer/infer_config.cpp — see infer_config.hpp.
#include "infer/infer_config.hpp"

#include "infer/model_matte.hpp"

namespace mr::infer {

ManagerOptions options_from_config(const config::Config& cfg) {
  ManagerOptions o;
  std::string dir = cfg.str("models.dir");
  o.dir = dir.empty() ? std::filesystem::path(cfg.str("data")) / "models" : std::filesystem::path(dir);
  o.device = cfg.str("infer.device");
  o.fp16 = cfg.boolean("infer.fp16");
  o.threads = static_cast<int>(cfg.integer("infer.threads"));
  o.memory_budget = cfg.integer("infer.memory_mb") * 1024 * 1024;
  o.max_pixels = cfg.integer("infer.max_pixels");
  return o;
}

void configure_from(const config::Config& cfg) {
  ModelManager::instance().configure(options_from_config(cfg));
  // Background removal takes the ISNet matte when scripts/models declares it and it was pulled.
  install_model_matte("isnet");
}

}  // namespace mr::infer
