// infer/infer_config.hpp — the manager's options from the effective configuration (no LibTorch here).
#pragma once
#include "config/config.hpp"
#include "infer/model_manager.hpp"

namespace mr::infer {

// models.dir (default <data>/models), infer.device, infer.fp16, infer.threads,
// infer.memory_mb, infer.max_pixels.
ManagerOptions options_from_config(const config::Config& cfg);
// options_from_config + ModelManager::configure, at start-up.
void configure_from(const config::Config& cfg);

}  // namespace mr::infer
