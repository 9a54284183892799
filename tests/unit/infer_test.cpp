// tests/unit/infer_test.cpp — the infer primitive: device policy, tiling, the model manager.
//
// Models are small TorchScript modules compiled here from source
// (torch::jit::Module::define) and saved to a temp folder: the manager loads
// them from files exactly as it loads converted pretrained weights.
#include <torch/script.h>
#include <torch/torch.h>
// LibTorch pulls in glog, whose CHECK aborts the process; the tests mean Catch's.
#undef CHECK
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "infer/device.hpp"
#include "infer/model_manager.hpp"
#include "infer/tiler.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace mr::infer;
using nlohmann::json;

namespace {

// Saves a module whose forward is `body` (TorchScript), with `param_floats` float parameters (for the budget).
void save_model(const fs::path& path, const std::string& body, int64_t param_floats = 0) {
  torch::jit::Module m("M");
  if (param_floats > 0) m.register_parameter("w", torch::zeros({param_floats}), false);
  m.define("def forward(self, x):\n" + body + "\n");
  m.save(path.string());
}

const char* kNearest2x = "    return x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)";
const char* kIdentity = "    return x * 1.0";

ModelSpec spec_of(const std::string& name, const std::string& task = "upscale", int scale = 1) {
  ModelSpec s;
  s.name = name;
  s.task = task;
  s.file = name + ".pt";
  s.scale = scale;
  return s;
}

struct Models {
  mr::test::TempTree tmp;
  ManagerOptions opt;
  Models() {
    opt.dir = tmp.root;
    opt.device = "cpu";
    ModelManager::instance().configure(opt);
  }
  ~Models() { ModelManager::instance().configure(ManagerOptions{}); }
  void budget(long long bytes) {
    opt.memory_budget = bytes;
    ModelManager::instance().configure(opt);
  }
};

cv::Mat gradient(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b((x * 7) % 256, (y * 5) % 256, (x + y) % 256);
  return m;
}

std::string error_code(const std::function<void()>& f) {
  try {
    f();
  } catch (const InferError& e) {
    return e.code;
  }
  return "no error";
}

}  // namespace

TEST_CASE("device policy: auto takes CUDA, then MPS, then the CPU", "[infer]") {
  CHECK(choose_device("auto", {2, true}).kind == DeviceKind::Cuda);
  CHECK(choose_device("auto", {0, true}).kind == DeviceKind::Mps);
  CHECK(choose_device("auto", {0, false}).kind == DeviceKind::Cpu);
  CHECK(choose_device("cpu", {4, true}).kind == DeviceKind::Cpu);
  CHECK(choose_device("cuda", {1, false}).kind == DeviceKind::Cuda);
  CHECK(choose_device("mps", {0, true}).kind == DeviceKind::Mps);
}

TEST_CASE("device policy: a forced device the machine lacks, or an unknown one, is an error", "[infer]") {
  CHECK_THROWS_AS(choose_device("cuda", {0, true}), DeviceError);
  CHECK_THROWS_AS(choose_device("mps", {1, false}), DeviceError);
  CHECK_THROWS_AS(choose_device("gpu", {1, true}), DeviceError);
}

TEST_CASE("dtype: fp16 only on CUDA for a model that allows it; MPS and CPU always fp32", "[infer]") {
  CHECK(choose_dtype(DeviceKind::Cuda, true, true) == DType::F16);
  CHECK(choose_dtype(DeviceKind::Cuda, false, true) == DType::F32);
  CHECK(choose_dtype(DeviceKind::Cuda, true, false) == DType::F32);
  CHECK(choose_dtype(DeviceKind::Mps, true, true) == DType::F32);
  CHECK(choose_dtype(DeviceKind::Cpu, true, true) == DType::F32);
}

TEST_CASE("tile positions cover the length with equal tiles and at least the overlap", "[infer]") {
  CHECK(tile_positions(100, 0, 8) == std::vector<int>{0});
  CHECK(tile_positions(64, 64, 8) == std::vector<int>{0});
  for (int len : {65, 100, 257, 1000}) {
    auto p = tile_positions(len, 64, 8);
    REQUIRE(p.size() >= 2);
    CHECK(p.front() == 0);
    CHECK(p.back() == len - 64);
    for (size_t i = 1; i < p.size(); ++i) {
      CHECK(p[i - 1] + 64 - p[i] >= 8);       // overlap kept
      CHECK(p[i] > p[i - 1]);
    }
  }
}

TEST_CASE("a tiled run equals the untiled run (3x3 convolution, then 2x upscale)", "[infer]") {
  torch::manual_seed(3);
  torch::Tensor weight = torch::rand({3, 3, 3, 3}) / 9;
  auto forward = [&](const torch::Tensor& x) {
    auto y = torch::conv2d(x, weight, {}, 1, 1);
    return y.repeat_interleave(2, 2).repeat_interleave(2, 3);
  };
  torch::Tensor input = torch::rand({1, 3, 70, 90}) * 255;
  auto collect = [](cv::Mat& into) {
    return [&into](int y, const cv::Mat& rows) {
      if (into.empty()) into = cv::Mat::zeros(140, 180, rows.type());
      rows.copyTo(into.rowRange(y, y + rows.rows));
    };
  };
  cv::Mat whole, tiled;
  CHECK(run_tiled(input, 2, 0, 0, forward, collect(whole)) == 1);
  int calls = 0;
  int tiles = run_tiled(input, 2, 32, 8, forward, collect(tiled), [&](int done, int total) {
    ++calls;
    return done <= total;
  });
  CHECK(tiles == 12);  // 3 rows x 4 columns
  CHECK(calls == tiles);
  // A 3x3 kernel reaches 1 pixel: within overlap / 4 = 2, so tiling changes nothing.
  CHECK(cv::norm(whole, tiled, cv::NORM_INF) < 1e-3);

  // 121 columns in 64-wide tiles: three evenly spread tiles, so three overlap some columns.
  torch::Tensor wide = torch::rand({1, 3, 40, 121}) * 255;
  cv::Mat wide_whole, wide_tiled;
  auto collect_wide = [](cv::Mat& into) {
    return [&into](int y, const cv::Mat& rows) {
      if (into.empty()) into = cv::Mat::zeros(80, 242, rows.type());
      rows.copyTo(into.rowRange(y, y + rows.rows));
    };
  };
  run_tiled(wide, 2, 0, 0, forward, collect_wide(wide_whole));
  CHECK(run_tiled(wide, 2, 64, 8, forward, collect_wide(wide_tiled)) == 3);
  CHECK(cv::norm(wide_whole, wide_tiled, cv::NORM_INF) < 1e-3);
}

TEST_CASE("run_tiled stops when progress says so", "[infer]") {
  auto forward = [](const torch::Tensor& x) { return x; };
  torch::Tensor input = torch::zeros({1, 3, 64, 64});
  CHECK_THROWS_AS(run_tiled(input, 1, 16, 4, forward, [](int, const cv::Mat&) {},
                            [](int done, int) { return done < 2; }),
                  TilingStopped);
}

TEST_CASE("model specs are validated with the field at fault", "[infer]") {
  CHECK_THROWS_WITH(spec_from_json(json{{"name", "Bad Name"}, {"task", "x"}}), Catch::Contains("name"));
  CHECK_THROWS_WITH(spec_from_json(json{{"name", "a"}}), Catch::Contains("task"));
  CHECK_THROWS_WITH(spec_from_json(json{{"name", "a"}, {"task", "x"}, {"file", "../a.pt"}}), Catch::Contains("file"));
  CHECK_THROWS_WITH(spec_from_json(json{{"name", "a"}, {"task", "x"}, {"input", {{"layout", "chw"}}}}),
                    Catch::Contains("input.layout"));
  CHECK_THROWS_WITH(spec_from_json(json{{"name", "a"}, {"task", "x"}, {"tile", 64}, {"overlap", 40}}),
                    Catch::Contains("overlap"));
  auto s = spec_from_json(json{{"name", "isnet"}, {"task", "matte"}, {"input", {{"size", {1024, 1024}}}},
                               {"output", {{"kind", "matte"}}}});
  CHECK(s.fixed_size());
  CHECK(s.output_range == 1);
  CHECK(s.file == "isnet.pt");
  CHECK(spec_from_json(spec_to_json(s)) == s);
}

TEST_CASE("the manager loads lazily, runs whole or tiled, and reports state", "[infer]") {
  Models t;
  auto& mm = ModelManager::instance();
  save_model(t.tmp.root / "up2.pt", kNearest2x);
  mm.declare(spec_of("up2", "upscale", 2));
  CHECK(mm.info("up2")["state"] == "available");
  cv::Mat img = gradient(50, 30);
  auto r = mm.run("up2", img);
  CHECK(mm.info("up2")["state"] == "loaded");
  REQUIRE(r.image.cols == 100);
  REQUIRE(r.image.rows == 60);
  cv::Mat expect;
  cv::resize(img, expect, {100, 60}, 0, 0, cv::INTER_NEAREST);
  CHECK(cv::norm(r.image, expect, cv::NORM_INF) == 0);
  CHECK(r.info["device"] == "cpu");
  CHECK(r.info["dtype"] == "float32");
  RunOptions ro;
  ro.tile = 16;
  ro.overlap = 4;
  auto tiled = mm.run("up2", img, ro);
  CHECK(tiled.info["tiles"].get<int>() > 1);
  CHECK(cv::norm(tiled.image, expect, cv::NORM_INF) == 0);
  CHECK(mm.info("up2")["runs"] == 2);
  CHECK(mm.unload("up2"));
  CHECK(mm.info("up2")["state"] == "available");
  CHECK_FALSE(mm.unload("up2"));
}

TEST_CASE("mattes and fixed-size models come back at the source size", "[infer]") {
  Models t;
  auto& mm = ModelManager::instance();
  save_model(t.tmp.root / "matte.pt", "    return x.mean(dim=1, keepdim=True) / 255.0");
  ModelSpec s = spec_of("matte", "matte");
  s.output = "matte";
  s.output_range = 1;
  s.size_w = s.size_h = 32;
  mm.declare(s);
  cv::Mat grey(40, 60, CV_8UC3, cv::Scalar(200, 200, 200));
  auto r = mm.run("matte", grey);
  REQUIRE(r.image.type() == CV_8UC1);
  CHECK(r.image.cols == 60);
  CHECK(r.image.rows == 40);
  CHECK(std::abs(r.image.at<uint8_t>(20, 30) - 200) <= 1);
}

TEST_CASE("least recently used models are unloaded past the memory budget", "[infer]") {
  Models t;
  auto& mm = ModelManager::instance();
  for (const char* n : {"a", "b", "c"}) {
    save_model(t.tmp.root / (std::string(n) + ".pt"), kIdentity, 256 * 1024);  // 1 MiB of weights each
    mm.declare(spec_of(n));
  }
  t.budget(2 * 1024 * 1024 + 1024);
  mm.load("a");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  mm.load("b");
  CHECK(mm.info("a")["state"] == "loaded");
  CHECK(mm.info("b")["bytes"].get<long long>() >= 1024 * 1024);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  mm.run("a", gradient(8, 8));  // a is now the most recently used
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  mm.load("c");
  CHECK(mm.info("a")["state"] == "loaded");
  CHECK(mm.info("b")["state"] == "available");  // evicted
  CHECK(mm.info("c")["state"] == "loaded");
}

TEST_CASE("a model's concurrency limit queues a burst", "[infer]") {
  Models t;
  auto& mm = ModelManager::instance();
  save_model(t.tmp.root / "slow.pt", kIdentity);
  for (int limit : {1, 2}) {
    ModelSpec s = spec_of("slow");
    s.concurrency = limit;
    s.tile = 8;
    s.overlap = 2;
    mm.declare(s);
    std::atomic<int> max_seen{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
      threads.emplace_back([&] {
        RunOptions ro;
        ro.progress = [&](int, int) {
          int now = mm.info("slow")["in_flight"].get<int>();
          int prev = max_seen.load();
          while (now > prev && !max_seen.compare_exchange_weak(prev, now)) {
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          return true;
        };
        mm.run("slow", gradient(40, 40), ro);
      });
    for (auto& th : threads) th.join();
    CHECK(max_seen.load() == limit);
  }
}

TEST_CASE("a model file replaced on disk is reloaded at its next use", "[infer]") {
  Models t;
  auto& mm = ModelManager::instance();
  fs::path p = t.tmp.root / "swap.pt";
  save_model(p, kIdentity);
  mm.declare(spec_of("swap"));
  cv::Mat img(4, 4, CV_8UC3, cv::Scalar(10, 20, 30));
  CHECK(mm.run("swap", img).image.at<cv::Vec3b>(0, 0)[0] == 10);
  save_model(p, "    return x * 2.0");
  fs::last_write_time(p, fs::last_write_time(p) + std::chrono::seconds(2));
  CHECK(mm.run("swap", img).image.at<cv::Vec3b>(0, 0)[0] == 20);
}

TEST_CASE("bad models and bad inputs are clear errors", "[infer]") {
  Models t;
  auto& mm = ModelManager::instance();
  CHECK(error_code([&] { mm.run("nope", gradient(4, 4)); }) == "MODEL_NOT_FOUND");

  mm.declare(spec_of("missing"));
  CHECK(error_code([&] { mm.run("missing", gradient(4, 4)); }) == "MODEL_ABSENT");

  t.tmp.file("garbage.pt", std::string(4096, 'x'));
  mm.declare(spec_of("garbage"));
  CHECK(error_code([&] { mm.load("garbage"); }) == "MODEL_INVALID");
  CHECK(mm.info("garbage")["last_error"].get<std::string>().find("MODEL_INVALID") == 0);

  save_model(t.tmp.root / "whole.pt", kIdentity);
  std::string bytes;
  {
    std::ifstream in(t.tmp.root / "whole.pt", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  t.tmp.file("truncated.pt", bytes.substr(0, bytes.size() / 2));
  mm.declare(spec_of("truncated"));
  CHECK(error_code([&] { mm.load("truncated"); }) == "MODEL_INVALID");

  ModelSpec pinned = spec_of("pinned");
  pinned.file = "whole.pt";
  pinned.sha256 = std::string(64, '0');
  mm.declare(pinned);
  CHECK(error_code([&] { mm.load("pinned"); }) == "CHECKSUM_MISMATCH");
  pinned.sha256 = file_sha256(t.tmp.root / "whole.pt");
  mm.declare(pinned);
  CHECK(mm.load("pinned")["state"] == "loaded");

  // Declared as 2x but returns the input size; and one that cannot take 3 channels.
  save_model(t.tmp.root / "liar.pt", kIdentity);
  mm.declare(spec_of("liar", "upscale", 2));
  CHECK(error_code([&] { mm.run("liar", gradient(8, 8)); }) == "MODEL_SHAPE");
  save_model(t.tmp.root / "four.pt", "    return torch.conv2d(x, torch.zeros([1, 4, 1, 1]))");
  mm.declare(spec_of("four"));
  CHECK(error_code([&] { mm.load("four"); }) == "MODEL_SHAPE");

  ManagerOptions small = t.opt;
  small.max_pixels = 100;
  mm.configure(small);
  CHECK(error_code([&] { mm.run("pinned", gradient(20, 20)); }) == "IMAGE_TOO_LARGE");
}

TEST_CASE("device_info reports the policy's choice with injected devices", "[infer]") {
  Models t;
  auto& mm = ModelManager::instance();
  mm.set_availability(Availability{1, false});
  CHECK(mm.device_info()["device"] == "cpu");  // configured cpu wins
  ManagerOptions o = t.opt;
  o.device = "auto";
  mm.configure(o);
  CHECK(mm.device_info()["device"] == "cuda");
  o.device = "mps";
  mm.configure(o);
  CHECK(mm.device_info()["device"].is_null());
  CHECK(mm.device_info()["error"].get<std::string>().find("mps") != std::string::npos);
  mm.set_availability(std::nullopt);
}
