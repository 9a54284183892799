// media/image_probe.cpp — header parsers for the formats moonreel decodes.
#include "media/image_probe.hpp"

#include <cstdint>

#include "config/config.hpp"

namespace mr::media {

namespace {

uint32_t be16(const unsigned char* p) { return (p[0] << 8) | p[1]; }
uint32_t be32(const unsigned char* p) { return (uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
uint32_t le16(const unsigned char* p) { return p[0] | (p[1] << 8); }
uint32_t le32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24); }

[[noreturn]] void truncated(const char* fmt) {
  throw ImageError(std::string("corrupt or truncated ") + fmt + " image (header incomplete)");
}

ImageInfo jpeg(const unsigned char* p, size_t n) {
  size_t i = 2;
  while (i + 4 <= n) {
    if (p[i] != 0xFF) throw ImageError("corrupt JPEG image (bad marker)");
    unsigned char m = p[i + 1];
    if (m == 0xFF) {
      ++i;
      continue;
    }
    if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
      i += 2;
      continue;
    }
    uint32_t len = be16(p + i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      if (i + 9 > n) truncated("JPEG");
      return {"jpeg", be16(p + i + 7), be16(p + i + 5)};
    }
    if (m == 0xDA || m == 0xD9) break;  // scan data or end before any frame header
    i += 2 + len;
  }
  truncated("JPEG");
}

ImageInfo webp(const unsigned char* p, size_t n) {
  if (n < 30) truncated("WebP");
  if (std::string_view(reinterpret_cast<const char*>(p + 12), 4) == "VP8 ")
    return {"webp", le16(p + 26) & 0x3FFF, le16(p + 28) & 0x3FFF};
  if (std::string_view(reinterpret_cast<const char*>(p + 12), 4) == "VP8L") {
    uint32_t b = le32(p + 21);
    return {"webp", (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1};
  }
  if (std::string_view(reinterpret_cast<const char*>(p + 12), 4) == "VP8X") {
    return {"webp", (p[24] | (p[25] << 8) | (p[26] << 16)) + 1LL, (p[27] | (p[28] << 8) | (p[29] << 16)) + 1LL};
  }
  throw ImageError("corrupt WebP image (unknown chunk)");
}

ImageInfo tiff(const unsigned char* p, size_t n) {
  bool le = p[0] == 'I';
  auto u16 = [&](size_t o) { return le ? le16(p + o) : be16(p + o); };
  auto u32 = [&](size_t o) { return le ? le32(p + o) : be32(p + o); };
  size_t ifd = u32(4);
  if (ifd + 2 > n) truncated("TIFF");
  uint32_t count = u16(ifd);
  ImageInfo info{"tiff", 0, 0};
  for (uint32_t k = 0; k < count; ++k) {
    size_t e = ifd + 2 + k * 12;
    if (e + 12 > n) truncated("TIFF");
    uint32_t tag = u16(e), type = u16(e + 2);
    uint32_t v = type == 3 ? u16(e + 8) : u32(e + 8);
    if (tag == 256) info.width = v;
    if (tag == 257) info.height = v;
  }
  if (info.width == 0 || info.height == 0) truncated("TIFF");
  return info;
}

}  // namespace

ImageInfo probe(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  if (n == 0) throw ImageError("empty file");
  auto starts = [&](std::string_view magic) { return bytes.substr(0, magic.size()) == magic; };
  if (starts("\x89PNG\r\n\x1a\n")) {
    if (n < 24 || std::string_view(bytes.data() + 12, 4) != "IHDR") truncated("PNG");
    return {"png", be32(p + 16), be32(p + 20)};
  }
  if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return jpeg(p, n);
  if (starts("GIF87a") || starts("GIF89a")) {
    if (n < 10) truncated("GIF");
    return {"gif", le16(p + 6), le16(p + 8)};
  }
  if (starts("RIFF") && n >= 12 && std::string_view(bytes.data() + 8, 4) == "WEBP") return webp(p, n);
  if (starts("BM")) {
    if (n < 26) truncated("BMP");
    auto h = static_cast<int32_t>(le32(p + 22));
    return {"bmp", static_cast<int32_t>(le32(p + 18)), h < 0 ? -static_cast<long long>(h) : h};
  }
  if ((starts("II*\0") || starts("MM\0*")) && n >= 8) return tiff(p, n);
  throw ImageError("not an image (unrecognised format)");
}

void check_complete(const ImageInfo& info, std::string_view bytes) {
  std::string_view tail = bytes.substr(bytes.size() > 64 ? bytes.size() - 64 : 0);
  bool ok = true;
  if (info.format == "jpeg") ok = tail.find("\xFF\xD9") != std::string_view::npos;
  if (info.format == "png") ok = tail.find("IEND") != std::string_view::npos;
  if (!ok) throw ImageError("corrupt or truncated " + info.format + " image (no end marker)");
}

void check_pixels(const ImageInfo& info, long long max_pixels) {
  if (max_pixels <= 0) max_pixels = config::current().integer("media.max_pixels");
  if (info.width <= 0 || info.height <= 0) throw ImageError("corrupt " + info.format + " image (zero size)");
  long long px = info.width * info.height;
  if (px > max_pixels)
    throw ImageError("image is " + std::to_string(info.width) + "x" + std::to_string(info.height) + " = " +
                     std::to_string(px) + " pixels; the limit is " + std::to_string(max_pixels));
}

}  // namespace mr::media
