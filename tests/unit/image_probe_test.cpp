// tests/unit/image_probe_test.cpp — header probing and the decompression-bomb check.
#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "media/image_probe.hpp"

using mr::media::ImageError;
using mr::media::probe;

namespace {
std::string encoded(const std::string& ext, int w, int h) {
  cv::Mat m(h, w, CV_8UC3, cv::Scalar(10, 200, 30));
  std::vector<uchar> out;
  REQUIRE(cv::imencode(ext, m, out));
  return std::string(out.begin(), out.end());
}

// A PNG header that declares w×h: only the IHDR matters to the probe.
std::string png_header(uint32_t w, uint32_t h) {
  std::string s = "\x89PNG\r\n\x1a\n";
  s += std::string("\0\0\0\x0dIHDR", 8);
  for (uint32_t v : {w, h})
    for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xFF);
  s += std::string("\x08\x02\0\0\0", 5);
  return s;
}
}  // namespace

TEST_CASE("probe reads the size of every supported format from its header") {
  for (const std::string ext : {".png", ".jpg", ".bmp", ".webp", ".tiff"}) {
    auto info = probe(encoded(ext, 123, 45));
    CAPTURE(ext);
    CHECK(info.width == 123);
    CHECK(info.height == 45);
  }
  CHECK(probe(encoded(".jpg", 8, 8)).format == "jpeg");
  CHECK(probe(encoded(".png", 8, 8)).format == "png");
}

TEST_CASE("probe refuses empty, unknown and truncated input with clear messages") {
  CHECK_THROWS_WITH(probe(""), "empty file");
  CHECK_THROWS_WITH(probe("hello, world"), "not an image (unrecognised format)");
  std::string jpg = encoded(".jpg", 64, 64);
  CHECK_THROWS_WITH(probe(jpg.substr(0, 10)), Catch::Contains("truncated JPEG"));
  CHECK_THROWS_WITH(probe(png_header(1, 1).substr(0, 15)), Catch::Contains("truncated PNG"));
}

TEST_CASE("a PNG declaring 60000x60000 is refused before any pixel is decoded") {
  auto info = probe(png_header(60000, 60000));
  CHECK(info.width == 60000);
  CHECK_THROWS_WITH(mr::media::check_pixels(info, 100000000),
                    "image is 60000x60000 = 3600000000 pixels; the limit is 100000000");
  CHECK_NOTHROW(mr::media::check_pixels(probe(png_header(100, 100)), 100000000));
}
