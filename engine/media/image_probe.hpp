// media/image_probe.hpp — image dimensions from the header alone, before any pixel is decoded.
//
// Contract: probe() recognises PNG, JPEG, GIF, WebP, BMP and TIFF by their
// magic bytes and reads width and height from the header, so a decompression
// bomb (a small file declaring 60000×60000) is refused before allocation.
// Throws ImageError with a message a user can act on.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>

namespace mr::media {

struct ImageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ImageInfo {
  std::string format;  // "png", "jpeg", "gif", "webp", "bmp", "tiff"
  long long width = 0, height = 0;
};

ImageInfo probe(std::string_view bytes);
// Refuses files whose end marker is missing (a truncated JPEG or PNG still
// "decodes" into grey rows with libjpeg / libpng, so the decoder cannot tell).
void check_complete(const ImageInfo& info, std::string_view bytes);
// Refuses width × height above max_pixels (<= 0: media.max_pixels from the configuration).
void check_pixels(const ImageInfo& info, long long max_pixels = 0);

}  // namespace mr::media
