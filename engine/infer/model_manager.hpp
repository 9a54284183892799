// infer/model_manager.hpp — declared models: lazy load, warm-up, LRU eviction under a memory budget, runs.
//
// Contract: one process-wide manager (design decision 2: shared state lives in
// C++). Lua declares models (plain specs); a model is loaded on first use (or
// load()), from `<models dir>/<file>`, checked against its sha256 (the spec's,
// else the `<name>.json` manifest `moonreel models pull` wrote beside it), put
// on the policy's device and dtype, and warmed up with one small forward call.
// A file changed on disk since it was loaded is reloaded at the next use.
// After a load, least-recently-used models with nothing in flight are unloaded
// until the loaded bytes fit the budget. run() holds one of the model's
// `concurrency` permits (a FIFO semaphore: a burst queues instead of
// thrashing memory), converts the image to a tensor per the spec, runs it
// whole or tiled, and converts the output back: no pixel loop leaves C++.
// Every failure is an InferError with an HTTP status and a stable code.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "infer/device.hpp"
#include "infer/model_spec.hpp"

namespace mr::infer {

struct InferError : std::runtime_error {
  InferError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status(status), code(std::move(code)) {}
  int status;
  std::string code;  // MODEL_NOT_FOUND 404, MODEL_ABSENT 409, MODEL_INVALID / CHECKSUM_MISMATCH / MODEL_SHAPE 422,
                     // IMAGE_TOO_LARGE 413, DEVICE_UNAVAILABLE 503, INFER_STOPPED 499
};

struct ManagerOptions {
  std::filesystem::path dir;           // models.dir
  std::string device = "auto";         // infer.device
  bool fp16 = true;                    // infer.fp16
  long long memory_budget = 4LL << 30;  // infer.memory_mb, bytes of loaded weights
  int threads = 0;                     // infer.threads: intra-op threads, 0 = LibTorch's default
  long long max_pixels = 7680LL * 4320;  // infer.max_pixels: input; outputs may be 16x this
};

struct RunOptions {
  int tile = -1, overlap = -1;                    // -1 = the spec's
  std::function<bool(int, int)> progress;         // after each tile; false stops
  std::function<bool()> should_stop;              // polled between tiles and while queueing
};

struct RunResult {
  cv::Mat image;       // 8-bit BGR (image) or gray (matte); empty for tensor outputs
  nlohmann::json info;  // model, device, dtype, tiles, ms, input/output size; tensor outputs: shape, values
};

class ModelManager {
 public:
  static ModelManager& instance();

  void configure(const ManagerOptions& opt);
  const ManagerOptions& options() const { return opt_; }
  // Test seam: pretend the machine has these devices (detect_devices() otherwise).
  void set_availability(std::optional<Availability> have);

  // Same spec again: nothing. A changed spec replaces the old one and unloads it.
  void declare(const ModelSpec& spec);
  std::optional<ModelSpec> spec(const std::string& name) const;

  nlohmann::json list() const;  // sorted by name
  nlohmann::json info(const std::string& name) const;
  nlohmann::json load(const std::string& name);
  bool unload(const std::string& name);  // false when it was not loaded
  nlohmann::json device_info() const;

  RunResult run(const std::string& name, const cv::Mat& image, const RunOptions& opt = {});

  struct Entry;
  struct Loaded;

 private:
  ModelManager() = default;
  std::shared_ptr<Entry> entry(const std::string& name) const;
  std::shared_ptr<Loaded> ensure_loaded(const std::shared_ptr<Entry>& e);
  void evict_over_budget(const std::string& keep);
  nlohmann::json info_locked(const Entry& e) const;
  DeviceChoice device_choice() const;
  void apply_threads();  // with mu_ held

  ManagerOptions opt_;
  std::optional<Availability> injected_;
  int threads_applied_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

// "sha256 hex" of a file (streamed).
std::string file_sha256(const std::filesystem::path& path);

}  // namespace mr::infer
