// tests/fuzz/image_decode_fuzz.cpp — fuzz target for the image decode entry points (probe → limits → decode).
//
// Built two ways: with clang as a libFuzzer target (see tests/fuzz/README.md), and with any compiler
// linked to standalone_main.cpp, which CTest runs briefly on every `make test`.
#include <cstddef>
#include <cstdint>
#include <opencv2/imgcodecs.hpp>
#include <string_view>
#include <vector>

#include "media/image_probe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    auto info = mr::media::probe(bytes);
    mr::media::check_pixels(info, 4'000'000);  // small limit: the fuzzer must not allocate huge images
    mr::media::check_complete(info, bytes);
    std::vector<uchar> buf(bytes.begin(), bytes.end());
    cv::Mat m = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
    (void)m;
  } catch (const mr::media::ImageError&) {
  } catch (const cv::Exception&) {
  }
  return 0;
}
