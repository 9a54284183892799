// tests/fuzz/standalone_main.cpp — runs a fuzz target without libFuzzer: seeds of every format plus
// deterministic mutations (bit flips, truncations, splices, header-size edits), bounded in count and time.
// Usage: fuzz_image_decode [iterations] [seconds]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  long iterations = argc > 1 ? std::atol(argv[1]) : 20000;
  double seconds = argc > 2 ? std::atof(argv[2]) : 20.0;
  std::vector<std::string> seeds;
  cv::Mat img(37, 53, CV_8UC3);
  cv::randu(img, 0, 255);
  for (const char* ext : {".png", ".jpg", ".bmp", ".webp", ".tiff"}) {
    std::vector<uchar> out;
    cv::imencode(ext, img, out);
    seeds.emplace_back(out.begin(), out.end());
  }
  std::mt19937_64 rng(0x6d6f6f6e7265656cULL);  // fixed: every run is the same run
  auto start = std::chrono::steady_clock::now();
  long done = 0;
  for (; done < iterations; ++done) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) break;
    std::string s = seeds[rng() % seeds.size()];
    switch (rng() % 4) {
      case 0:  // bit flips
        for (int k = 0, n = 1 + rng() % 8; k < n && !s.empty(); ++k) s[rng() % s.size()] ^= char(1 << (rng() % 8));
        break;
      case 1:  // truncation
        s.resize(rng() % (s.size() + 1));
        break;
      case 2: {  // splice of two seeds
        const std::string& o = seeds[rng() % seeds.size()];
        s = s.substr(0, rng() % (s.size() + 1)) + o.substr(rng() % (o.size() + 1));
        break;
      }
      default:  // header bytes set to extremes (sizes, lengths)
        for (int k = 0; k < 4 && s.size() > 32; ++k) s[8 + rng() % 24] = char(rng() % 2 ? 0xFF : 0x00);
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::printf("fuzz_image_decode: %ld inputs, no crash\n", done);
  return 0;
}
