// infer/model_manager.cpp — see model_manager.hpp.
#include "infer/model_manager.hpp"

#include <openssl/evp.h>
#include <torch/csrc/api/include/torch/version.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <thread>
#include <torch/script.h>

#include <algorithm>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "infer/tiler.hpp"
#include "jobs/semaphore.hpp"
#include "log/log.hpp"
#include "util/time.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace mr::infer {

struct ModelManager::Loaded {
  torch::jit::Module module;
  DeviceKind device = DeviceKind::Cpu;
  DType dtype = DType::F32;
  long long bytes = 0;
  fs::file_time_type mtime;
  std::uintmax_t size = 0;
  double load_ms = 0;
};

struct ModelManager::Entry {
  ModelSpec spec;
  std::shared_ptr<Loaded> loaded;
  std::mutex load_mu;  // one load of a model at a time; others wait for it
  std::chrono::system_clock::time_point last_used{};
  int in_flight = 0;
  long long runs = 0;
  std::string last_error;
};

namespace {

// The useful sentence of a LibTorch error: interpreter errors lead with a
// traceback and end with the RuntimeError that says what went wrong.
std::string first_line(const std::string& s) {
  std::string out = s;
  if (auto at = s.rfind("RuntimeError: "); at != std::string::npos) out = s.substr(at + 14);
  for (auto& c : out)
    if (c == '\n') c = ' ';
  if (auto nl = s.rfind("RuntimeError: ") == std::string::npos ? s.find('\n') : std::string::npos;
      nl != std::string::npos)
    out = s.substr(0, nl);
  return out.size() > 300 ? out.substr(0, 300) + "..." : out;
}

torch::Device torch_device(DeviceKind k) {
  switch (k) {
    case DeviceKind::Cuda: return torch::Device(torch::kCUDA, 0);
    case DeviceKind::Mps: return torch::Device(torch::kMPS);
    default: return torch::Device(torch::kCPU);
  }
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The sha256 a file must have: the spec's, else the pull manifest's (`<name>.json` → "sha256").
std::string expected_sha256(const ModelSpec& s, const fs::path& dir) {
  if (!s.sha256.empty()) return s.sha256;
  std::ifstream f(dir / (s.name + ".json"));
  if (!f) return "";
  try {
    json m = json::parse(f);
    if (m.contains("sha256") && m["sha256"].is_string()) return m["sha256"].get<std::string>();
  } catch (const std::exception&) {
    // A damaged manifest only loses the check; the file itself is still validated by loading it.
  }
  return "";
}

torch::Tensor first_tensor(const torch::jit::IValue& v) {
  if (v.isTensor()) return v.toTensor();
  if (v.isTuple() && !v.toTupleRef().elements().empty()) return first_tensor(v.toTupleRef().elements()[0]);
  if (v.isList() && v.toListRef().size() > 0) return first_tensor(v.toListRef()[0]);
  throw InferError(422, "MODEL_SHAPE", "the model returned no tensor");
}

// An 8-bit image (gray, BGR or BGRA) → [1, 3, H, W] float32 per the spec.
torch::Tensor to_input(const cv::Mat& src, const ModelSpec& s) {
  cv::Mat bgr;
  if (src.channels() == 1) cv::cvtColor(src, bgr, cv::COLOR_GRAY2BGR);
  else if (src.channels() == 4) cv::cvtColor(src, bgr, cv::COLOR_BGRA2BGR);
  else bgr = src;
  if (s.fixed_size()) cv::resize(bgr, bgr, cv::Size(s.size_w, s.size_h), 0, 0, cv::INTER_LINEAR);
  cv::Mat f;
  bgr.convertTo(f, CV_32FC3, s.input_range / 255.0);
  if (s.channels == "rgb") cv::cvtColor(f, f, cv::COLOR_BGR2RGB);
  if (!f.isContinuous()) f = f.clone();
  torch::Tensor t = torch::from_blob(f.data, {1, f.rows, f.cols, 3}, torch::kFloat32).permute({0, 3, 1, 2}).contiguous();
  bool identity = s.mean == std::array<double, 3>{0, 0, 0} && s.std == std::array<double, 3>{1, 1, 1};
  if (!identity) {
    auto mean = torch::tensor({s.mean[0], s.mean[1], s.mean[2]}, torch::kFloat32).view({1, 3, 1, 1});
    auto sd = torch::tensor({s.std[0], s.std[1], s.std[2]}, torch::kFloat32).view({1, 3, 1, 1});
    t = (t - mean) / sd;
  }
  return t;
}

}  // namespace

std::string file_sha256(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path.string());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  while (f) {
    f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (f.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(f.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &n);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

ModelManager& ModelManager::instance() {
  static ModelManager m;
  return m;
}

void ModelManager::configure(const ManagerOptions& opt) {
  std::lock_guard<std::mutex> lock(mu_);
  opt_ = opt;
  // Applied at the next load, not here: configure() runs in main() before `serve`
  // blocks SIGTERM, and a LibTorch thread pool started now would inherit an
  // unblocked mask and could take the signal (the process would die, not drain).
  threads_applied_ = 0;
}

// 0 = one per core. LibTorch's own default can be a single thread (seen with this
// Debian build in containers), which halves throughput on a 2-core machine.
void ModelManager::apply_threads() {
  const int want = opt_.threads > 0 ? opt_.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (threads_applied_ == want) return;
  at::set_num_threads(want);
  threads_applied_ = want;
}

void ModelManager::set_availability(std::optional<Availability> have) {
  std::lock_guard<std::mutex> lock(mu_);
  injected_ = have;
}

DeviceChoice ModelManager::device_choice() const {
  return choose_device(opt_.device, injected_ ? *injected_ : detect_devices());
}

void ModelManager::declare(const ModelSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& e = entries_[spec.name];
  if (e && e->spec == spec) return;
  auto fresh = std::make_shared<Entry>();
  fresh->spec = spec;
  if (e && e->loaded) log::info("model redeclared: unloaded", {{"model", spec.name}});
  e = fresh;  // a run holding the old entry finishes on it
}

std::optional<ModelSpec> ModelManager::spec(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return it->second->spec;
}

std::shared_ptr<ModelManager::Entry> ModelManager::entry(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) throw InferError(404, "MODEL_NOT_FOUND", "no model named '" + name + "' is declared");
  return it->second;
}

json ModelManager::info_locked(const Entry& e) const {
  const ModelSpec& s = e.spec;
  fs::path path = opt_.dir / s.file;
  std::error_code ec;
  bool present = fs::is_regular_file(path, ec);
  json j = {{"name", s.name},
            {"task", s.task},
            {"description", s.description},
            {"license", s.license},
            {"file", s.file},
            {"state", e.loaded ? "loaded" : present ? "available" : "absent"},
            {"file_bytes", present ? json(static_cast<long long>(fs::file_size(path, ec))) : json(nullptr)},
            {"device", e.loaded ? json(to_string(e.loaded->device)) : json(nullptr)},
            {"dtype", e.loaded ? json(to_string(e.loaded->dtype)) : json(nullptr)},
            {"bytes", e.loaded ? json(e.loaded->bytes) : json(nullptr)},
            {"load_ms", e.loaded ? json(std::round(e.loaded->load_ms)) : json(nullptr)},
            {"last_used", e.last_used.time_since_epoch().count() ? json(util::iso8601(e.last_used)) : json(nullptr)},
            {"in_flight", e.in_flight},
            {"concurrency", s.concurrency},
            {"runs", e.runs},
            {"last_error", e.last_error.empty() ? json(nullptr) : json(e.last_error)},
            {"spec", spec_to_json(s)}};
  return j;
}

json ModelManager::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  json out = json::array();
  for (const auto& [name, e] : entries_) out.push_back(info_locked(*e));
  return out;
}

json ModelManager::info(const std::string& name) const {
  auto e = entry(name);
  std::lock_guard<std::mutex> lock(mu_);
  return info_locked(*e);
}

json ModelManager::device_info() const {
  std::lock_guard<std::mutex> lock(mu_);
  Availability have = injected_ ? *injected_ : detect_devices();
  json j = {{"preference", opt_.device},
            {"cuda_devices", have.cuda_devices},
            {"mps", have.mps},
            {"threads", at::get_num_threads()},
            {"fp16", opt_.fp16},
            {"memory_budget", opt_.memory_budget},
            {"models_dir", opt_.dir.string()},
            {"libtorch", TORCH_VERSION}};
  try {
    DeviceChoice c = choose_device(opt_.device, have);
    j["device"] = to_string(c.kind);
    j["reason"] = c.reason;
  } catch (const DeviceError& e) {
    j["device"] = nullptr;
    j["error"] = e.what();
  }
  return j;
}

std::shared_ptr<ModelManager::Loaded> ModelManager::ensure_loaded(const std::shared_ptr<Entry>& e) {
  std::lock_guard<std::mutex> load_lock(e->load_mu);
  const ModelSpec& s = e->spec;
  fs::path path = opt_.dir / s.file;
  std::error_code ec;
  auto fail = [&](int status, const std::string& code, const std::string& msg) -> InferError {
    std::lock_guard<std::mutex> lock(mu_);
    e->last_error = code + ": " + msg;
    return InferError(status, code, msg);
  };
  if (!fs::is_regular_file(path, ec))
    throw fail(409, "MODEL_ABSENT", "model '" + s.name + "' is declared but " + s.file +
                                        " is not in the models directory; run `moonreel models pull " + s.name + "`");
  auto mtime = fs::last_write_time(path, ec);
  auto size = fs::file_size(path, ec);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (e->loaded && e->loaded->mtime == mtime && e->loaded->size == size) return e->loaded;
    if (e->loaded) log::info("model file changed: reloading", {{"model", s.name}});
  }

  {
    std::lock_guard<std::mutex> lock(mu_);
    apply_threads();
  }
  auto t0 = std::chrono::steady_clock::now();
  std::string want = expected_sha256(s, opt_.dir);
  if (!want.empty()) {
    std::string got = file_sha256(path);
    if (got != want)
      throw fail(422, "CHECKSUM_MISMATCH", "model '" + s.name + "': " + s.file + " has sha256 " + got +
                                                ", expected " + want + " (a damaged or replaced file)");
  }
  DeviceChoice dev;
  try {
    dev = device_choice();
  } catch (const DeviceError& ex) {
    throw fail(503, "DEVICE_UNAVAILABLE", ex.what());
  }
  auto loaded = std::make_shared<Loaded>();
  loaded->device = dev.kind;
  loaded->dtype = choose_dtype(dev.kind, s.fp16, opt_.fp16);
  loaded->mtime = mtime;
  loaded->size = size;
  try {
    loaded->module = torch::jit::load(path.string(), torch_device(dev.kind));
    loaded->module.eval();
    if (loaded->dtype == DType::F16) loaded->module.to(torch::kHalf);
  } catch (const c10::Error& ex) {
    throw fail(422, "MODEL_INVALID", "model '" + s.name + "': " + s.file + " is not a loadable TorchScript file (" +
                                         first_line(ex.what_without_backtrace()) + ")");
  } catch (const std::exception& ex) {
    throw fail(422, "MODEL_INVALID", "model '" + s.name + "': " + s.file + " is not a loadable TorchScript file (" +
                                         first_line(ex.what()) + ")");
  }
  long long bytes = 0;
  for (const auto& p : loaded->module.parameters()) bytes += static_cast<long long>(p.nbytes());
  for (const auto& b : loaded->module.buffers()) bytes += static_cast<long long>(b.nbytes());
  loaded->bytes = bytes > 0 ? bytes : static_cast<long long>(size);

  // Warm-up: one small forward call (fixed-size models are warmed by their first real run:
  // a full-size call costs seconds). It also catches a model that cannot take images at all.
  if (!s.fixed_size() && s.output != "tensor") {
    try {
      c10::InferenceMode guard;
      auto x = torch::zeros({1, 3, 32, 32}, torch::kFloat32);
      if (s.layout == "nhwc") x = x.permute({0, 2, 3, 1}).contiguous();
      x = x.to(torch_device(dev.kind), loaded->dtype == DType::F16 ? torch::kHalf : torch::kFloat32);
      first_tensor(loaded->module.forward({x}));
    } catch (const c10::Error& ex) {
      throw fail(422, "MODEL_SHAPE", "model '" + s.name + "' rejects a 3-channel image (" +
                                         first_line(ex.what_without_backtrace()) + ")");
    } catch (const std::exception& ex) {  // the TorchScript interpreter's own errors (JITException)
      throw fail(422, "MODEL_SHAPE", "model '" + s.name + "' rejects a 3-channel image (" + first_line(ex.what()) + ")");
    }
  }
  loaded->load_ms = ms_since(t0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    e->loaded = loaded;
    e->last_error.clear();
  }
  log::info("model loaded", {{"model", s.name}, {"device", to_string(dev.kind)}, {"dtype", to_string(loaded->dtype)},
                             {"bytes", loaded->bytes}, {"ms", std::round(loaded->load_ms)}});
  evict_over_budget(s.name);
  return loaded;
}

void ModelManager::evict_over_budget(const std::string& keep) {
  std::lock_guard<std::mutex> lock(mu_);
  for (;;) {
    long long total = 0;
    Entry* lru = nullptr;
    for (auto& [name, e] : entries_) {
      if (!e->loaded) continue;
      total += e->loaded->bytes;
      if (name != keep && e->in_flight == 0 && (!lru || e->last_used < lru->last_used)) lru = e.get();
    }
    if (total <= opt_.memory_budget || !lru) return;
    log::info("model unloaded: over the memory budget",
              {{"model", lru->spec.name}, {"loaded_bytes", total}, {"budget", opt_.memory_budget}});
    lru->loaded.reset();
  }
}

json ModelManager::load(const std::string& name) {
  auto e = entry(name);
  ensure_loaded(e);
  {
    std::lock_guard<std::mutex> lock(mu_);
    e->last_used = std::chrono::system_clock::now();
  }
  return info(name);
}

bool ModelManager::unload(const std::string& name) {
  auto e = entry(name);
  std::lock_guard<std::mutex> lock(mu_);
  if (!e->loaded) return false;
  e->loaded.reset();  // a run in flight keeps its reference until it ends
  log::info("model unloaded", {{"model", name}});
  return true;
}

RunResult ModelManager::run(const std::string& name, const cv::Mat& image, const RunOptions& ro) {
  auto e = entry(name);
  const ModelSpec s = e->spec;
  if (image.empty() || image.depth() != CV_8U) throw InferError(400, "INVALID_IMAGE", "infer: an 8-bit image is required");
  const long long in_px = static_cast<long long>(image.cols) * image.rows;
  const long long out_px = in_px * s.scale * s.scale;
  if (in_px > opt_.max_pixels || (!s.fixed_size() && out_px > 16 * opt_.max_pixels))
    throw InferError(413, "IMAGE_TOO_LARGE", "infer: a " + std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                                                 " image is over the limit of " + std::to_string(opt_.max_pixels) +
                                                 " pixels (infer.max_pixels)");

  const std::string permit = "model:" + name;
  if (!jobs::semaphore_acquire(permit, s.concurrency, ro.should_stop ? ro.should_stop : [] { return false; }))
    throw InferError(499, "INFER_STOPPED", "stopped while waiting for model '" + name + "'");
  struct Release {
    std::string name;
    ~Release() { jobs::semaphore_release(name); }
  } release{permit};

  auto loaded = ensure_loaded(e);
  struct InFlight {
    ModelManager& m;
    Entry& e;
    InFlight(ModelManager& m, Entry& e) : m(m), e(e) {
      std::lock_guard<std::mutex> lock(m.mu_);
      ++e.in_flight;
      ++e.runs;
      e.last_used = std::chrono::system_clock::now();
    }
    ~InFlight() {
      std::lock_guard<std::mutex> lock(m.mu_);
      --e.in_flight;
      e.last_used = std::chrono::system_clock::now();
    }
  } in_flight(*this, *e);

  auto t0 = std::chrono::steady_clock::now();
  const torch::Device device = torch_device(loaded->device);
  const auto dtype = loaded->dtype == DType::F16 ? torch::kHalf : torch::kFloat32;
  auto forward = [&](const torch::Tensor& x) {
    c10::InferenceMode guard;
    torch::Tensor in = x.to(device, dtype);
    if (s.layout == "nhwc") in = in.permute({0, 2, 3, 1}).contiguous();
    torch::Tensor out = first_tensor(loaded->module.forward({in}));
    if (s.layout == "nhwc" && out.dim() == 4) out = out.permute({0, 3, 1, 2});
    if (out.dim() == 3) out = out.unsqueeze(0);  // [1, H, W] mattes
    return out.to(torch::kFloat32);
  };

  RunResult r;
  int tiles = 0;
  try {
    c10::InferenceMode guard;
    torch::Tensor input = to_input(image, s);
    if (s.output == "tensor") {
      torch::Tensor out = forward(input).to(torch::kCPU).contiguous();
      json values = json::array();
      if (out.numel() <= 65536)
        for (int64_t i = 0; i < out.numel(); ++i) values.push_back(out.view(-1)[i].item<float>());
      r.info["shape"] = out.sizes().vec();
      r.info["values"] = values;
      tiles = 1;
    } else {
      const bool matte = s.output == "matte";
      const int in_w = static_cast<int>(input.size(3)), in_h = static_cast<int>(input.size(2));
      const int tile = s.fixed_size() ? 0 : (ro.tile >= 0 ? ro.tile : s.tile);
      const int overlap = ro.overlap >= 0 ? ro.overlap : s.overlap;
      cv::Mat full;  // float output at the model's size, when it must be resized back
      cv::Mat out8;  // the 8-bit result, written row stripe by row stripe
      const double to8 = 255.0 / s.output_range;
      int channels = 0;
      auto sink = [&](int y, const cv::Mat& rows) {
        if (channels == 0) {
          channels = rows.channels();
          if (matte && channels != 1)
            throw InferError(422, "MODEL_SHAPE", "model '" + name + "' is declared as a matte but returns " +
                                                     std::to_string(channels) + " channels");
          if (!matte && channels != 1 && channels != 3 && channels != 4)
            throw InferError(422, "MODEL_SHAPE", "model '" + name + "' returns " + std::to_string(channels) +
                                                     " channels; an image needs 1, 3 or 4");
          if (s.fixed_size()) full = cv::Mat(in_h * s.scale, in_w * s.scale, CV_32FC(channels));
          else out8 = cv::Mat(in_h * s.scale, in_w * s.scale, CV_8UC(channels));
        }
        cv::Mat dst = s.fixed_size() ? full.rowRange(y, y + rows.rows) : out8.rowRange(y, y + rows.rows);
        if (s.fixed_size()) rows.copyTo(dst);
        else rows.convertTo(dst, CV_8U, to8);
      };
      auto progress = [&](int done, int total) {
        if (ro.should_stop && ro.should_stop()) return false;
        return ro.progress ? ro.progress(done, total) : true;
      };
      tiles = run_tiled(input, s.scale, tile, overlap, forward, sink, progress);
      if (s.fixed_size()) {  // back to the source's size (times the scale)
        cv::resize(full, full, cv::Size(image.cols * s.scale, image.rows * s.scale), 0, 0, cv::INTER_LINEAR);
        full.convertTo(out8, CV_8U, to8);
      }
      if (!matte && s.channels == "rgb" && out8.channels() == 3) cv::cvtColor(out8, out8, cv::COLOR_RGB2BGR);
      if (!matte && s.channels == "rgb" && out8.channels() == 4) cv::cvtColor(out8, out8, cv::COLOR_RGBA2BGRA);
      r.image = out8;
      r.info["width"] = out8.cols;
      r.info["height"] = out8.rows;
    }
  } catch (const TilingStopped&) {
    throw InferError(499, "INFER_STOPPED", "stopped between tiles of model '" + name + "'");
  } catch (const TileShapeError& ex) {
    throw InferError(422, "MODEL_SHAPE", "model '" + name + "': " + ex.what());
  } catch (const InferError&) {
    throw;
  } catch (const c10::Error& ex) {
    throw InferError(422, "MODEL_SHAPE", "model '" + name + "' rejected the input (" +
                                             first_line(ex.what_without_backtrace()) + ")");
  } catch (const std::runtime_error& ex) {  // the TorchScript interpreter's own errors (JITException)
    throw InferError(422, "MODEL_SHAPE", "model '" + name + "' rejected the input (" + first_line(ex.what()) + ")");
  }
  r.info["model"] = name;
  r.info["device"] = to_string(loaded->device);
  r.info["dtype"] = to_string(loaded->dtype);
  r.info["tiles"] = tiles;
  r.info["ms"] = std::round(ms_since(t0) * 10) / 10;
  r.info["input"] = {{"width", image.cols}, {"height", image.rows}};
  return r;
}

}  // namespace mr::infer
