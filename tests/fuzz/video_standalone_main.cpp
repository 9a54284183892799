// tests/fuzz/video_standalone_main.cpp — runs the video fuzz target without libFuzzer: a short
// H.264 MP4 made by the engine's writer as the seed, plus deterministic mutations (bit flips,
// truncations, byte runs), bounded in count and time. Usage: fuzz_video_probe [iterations] [seconds]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "media/video_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  long iterations = argc > 1 ? std::atol(argv[1]) : 300;
  double seconds = argc > 2 ? std::atof(argv[2]) : 20.0;
  auto seed_path = std::filesystem::temp_directory_path() / "mr-fuzz-video-seed.mp4";
  {
    mr::media::VideoWriter w;
    mr::media::WriterOptions o;
    o.width = 64, o.height = 48, o.fps_num = 12;
    w.open(seed_path, o);
    for (int i = 0; i < 6; ++i) w.write_frame(cv::Mat(48, 64, CV_8UC3, cv::Scalar(40 * i, 255 - 40 * i, 90)), 2);
    w.close();
  }
  std::ifstream in(seed_path, std::ios::binary);
  std::string seed((std::istreambuf_iterator<char>(in)), {});
  std::mt19937_64 rng(0x766964656f66757aULL);
  auto start = std::chrono::steady_clock::now();
  long done = 0;
  for (; done < iterations; ++done) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) break;
    std::string s = seed;
    switch (rng() % 3) {
      case 0:
        for (int k = 0, n = 1 + rng() % 16; k < n; ++k) s[rng() % s.size()] ^= char(1 << (rng() % 8));
        break;
      case 1:
        s.resize(rng() % (s.size() + 1));
        break;
      default: {
        size_t at = rng() % s.size(), len = std::min<size_t>(s.size() - at, 1 + rng() % 64);
        for (size_t k = 0; k < len; ++k) s[at + k] = char(rng() % 2 ? 0xFF : 0x00);
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::printf("fuzz_video_probe: %ld inputs, no crash\n", done);
  return 0;
}
