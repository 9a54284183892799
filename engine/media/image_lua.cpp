// media/image_lua.cpp — `moonreel.image`: decode, probe, thumbnail, transform, draw, encode.
//
// Handles own a cv::Mat (8-bit BGR / BGRA / gray) and are freed by the GC;
// pixels never become Lua tables. Every decode checks the header's pixel
// count against media.max_pixels before a pixel is allocated. Colours are
// "#rrggbb[aa]" or {r, g, b[, a]}.
#include <lua.hpp>

#include <cstring>

#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "config/config.hpp"
#include "media/background.hpp"
#include "media/image_handle.hpp"
#include "media/image_probe.hpp"
#include "runtime/lua_state.hpp"
#include "store/store.hpp"

namespace mr::media {

/* -- Handles ------------------------------------------------------------- */

void ensure_image_meta(lua_State* L);

void push_image(lua_State* L, cv::Mat mat) {
  ensure_image_meta(L);
  void* mem = lua_newuserdata(L, sizeof(ImageHandle));
  new (mem) ImageHandle{std::move(mat)};
  luaL_getmetatable(L, kImageMeta);
  lua_setmetatable(L, -2);
}

cv::Mat& check_image(lua_State* L, int idx) {
  return static_cast<ImageHandle*>(luaL_checkudata(L, idx, kImageMeta))->mat;
}

namespace {

// Fills an 8-bit image with one colour. OpenCV's setTo on 3-channel images
// goes pixel by pixel (10 ms for a 1080p frame here); filling one row and
// copying it down is a memcpy per row.
void fill_solid(cv::Mat& m, const cv::Scalar& c) {
  if (m.rows == 0 || !m.isContinuous()) {
    m.setTo(c);
    return;
  }
  cv::Mat first = m.row(0);
  first.setTo(c);
  size_t bytes = m.cols * m.elemSize();
  for (int y = 1; y < m.rows; ++y) std::memcpy(m.ptr(y), m.ptr(0), bytes);
}

cv::Scalar parse_color(lua_State* L, int idx, int channels) {
  double r = 0, g = 0, b = 0, a = 255;
  if (lua_isstring(L, idx)) {
    std::string s = lua_tostring(L, idx);
    if (s.size() != 7 && s.size() != 9) throw ImageError("colour must be #rrggbb or #rrggbbaa: '" + s + "'");
    auto hex = [&](size_t o) { return static_cast<double>(std::stoi(s.substr(o, 2), nullptr, 16)); };
    r = hex(1), g = hex(3), b = hex(5);
    if (s.size() == 9) a = hex(7);
  } else if (lua_istable(L, idx)) {
    lua_rawgeti(L, idx, 1), lua_rawgeti(L, idx, 2), lua_rawgeti(L, idx, 3), lua_rawgeti(L, idx, 4);
    r = lua_tonumber(L, -4), g = lua_tonumber(L, -3), b = lua_tonumber(L, -2);
    if (lua_isnumber(L, -1)) a = lua_tonumber(L, -1);
    lua_pop(L, 4);
  } else if (!lua_isnoneornil(L, idx)) {
    throw ImageError("colour must be a string or a table");
  }
  if (channels == 1) return cv::Scalar(0.299 * r + 0.587 * g + 0.114 * b);
  return cv::Scalar(b, g, r, a);
}

// Decoded images are normalised to 8-bit with 1, 3 or 4 channels.
cv::Mat normalise(cv::Mat m) {
  if (m.depth() != CV_8U) m.convertTo(m, CV_8U, m.depth() == CV_16U ? 1.0 / 257 : 1.0);
  if (m.channels() == 2) cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
  return m;
}

cv::Mat decode_checked(std::string_view bytes, long long max_pixels, int flags) {
  ImageInfo info = probe(bytes);
  check_pixels(info, max_pixels);
  check_complete(info, bytes);
  std::vector<uchar> buf(bytes.begin(), bytes.end());
  cv::Mat m;
  try {
    m = cv::imdecode(buf, flags);  // applies EXIF orientation for JPEG
  } catch (const cv::Exception&) {
  }
  if (m.empty()) throw ImageError("corrupt or truncated " + info.format + " image");
  return normalise(m);
}

std::string_view bytes_arg(lua_State* L, int idx) {
  size_t n;
  const char* s = luaL_checklstring(L, idx, &n);
  return {s, n};
}

long long opt_max_pixels(lua_State* L, int idx) {
  if (!lua_istable(L, idx)) return 0;
  lua_getfield(L, idx, "max_pixels");
  long long v = lua_isnumber(L, -1) ? static_cast<long long>(lua_tonumber(L, -1)) : 0;
  lua_pop(L, 1);
  return v;
}

/* -- Module functions ---------------------------------------------------- */

int l_probe(lua_State* L) {
  ImageInfo info = probe(bytes_arg(L, 1));
  lua_createtable(L, 0, 3);
  lua_pushstring(L, info.format.c_str());
  lua_setfield(L, -2, "format");
  lua_pushnumber(L, static_cast<lua_Number>(info.width));
  lua_setfield(L, -2, "width");
  lua_pushnumber(L, static_cast<lua_Number>(info.height));
  lua_setfield(L, -2, "height");
  return 1;
}

// JPEG has no alpha, and OpenCV applies the EXIF orientation only for flags
// other than IMREAD_UNCHANGED: decode JPEGs as colour so photos come upright.
int decode_flags(std::string_view bytes) {
  return probe(bytes).format == "jpeg" ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED;
}

int l_decode(lua_State* L) {
  std::string_view bytes = bytes_arg(L, 1);
  push_image(L, decode_checked(bytes, opt_max_pixels(L, 2), decode_flags(bytes)));
  return 1;
}

int l_load(lua_State* L) {
  std::string path = luaL_checkstring(L, 1);
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw ImageError("cannot read " + path);
  std::string data;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
  std::fclose(f);
  push_image(L, decode_checked(data, opt_max_pixels(L, 2), decode_flags(data)));
  return 1;
}

// Thumbnail: JPEGs decode at 1/2, 1/4 or 1/8 scale when that still covers
// max_side, which skips most of the decoding work for large photos.
int l_thumbnail(lua_State* L) {
  std::string_view bytes = bytes_arg(L, 1);
  int side = static_cast<int>(luaL_optinteger(L, 2, 256));
  if (side < 1 || side > 16384) throw ImageError("thumbnail size must be 1..16384");
  ImageInfo info = probe(bytes);
  check_pixels(info, opt_max_pixels(L, 3));
  int flags = cv::IMREAD_COLOR;
  long long longest = std::max(info.width, info.height);
  if (info.format == "jpeg") {
    if (longest / 8 >= side)
      flags = cv::IMREAD_REDUCED_COLOR_8;
    else if (longest / 4 >= side)
      flags = cv::IMREAD_REDUCED_COLOR_4;
    else if (longest / 2 >= side)
      flags = cv::IMREAD_REDUCED_COLOR_2;
  }
  cv::Mat m = decode_checked(bytes, opt_max_pixels(L, 3), flags);
  double scale = static_cast<double>(side) / std::max(m.cols, m.rows);
  if (scale < 1.0) {
    cv::resize(m, m, cv::Size(std::max(1, static_cast<int>(m.cols * scale + 0.5)),
                              std::max(1, static_cast<int>(m.rows * scale + 0.5))),
               0, 0, cv::INTER_AREA);
  }
  push_image(L, m);
  return 1;
}

// remove_background(img [, {method = "auto" | "grabcut" | <registered>}]) → RGBA image, method
int l_remove_background(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  std::string method = "auto";
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "method");
    if (lua_isstring(L, -1)) method = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  auto [out, used] = remove_background(m, method);
  push_image(L, out);
  lua_pushstring(L, used.c_str());
  return 2;
}

int l_new(lua_State* L) {
  int w = static_cast<int>(luaL_checkinteger(L, 1)), h = static_cast<int>(luaL_checkinteger(L, 2));
  if (w < 1 || h < 1 || static_cast<long long>(w) * h > config::current().integer("media.max_pixels"))
    throw ImageError("image size must be positive and within media.max_pixels");
  bool alpha = lua_isstring(L, 3) && std::string(lua_tostring(L, 3)).size() == 9;
  cv::Mat m(h, w, alpha ? CV_8UC4 : CV_8UC3);
  fill_solid(m, parse_color(L, 3, alpha ? 4 : 3));
  push_image(L, std::move(m));
  return 1;
}

/* -- Methods --------------------------------------------------------------- */

int m_width(lua_State* L) {
  lua_pushinteger(L, check_image(L, 1).cols);
  return 1;
}
int m_height(lua_State* L) {
  lua_pushinteger(L, check_image(L, 1).rows);
  return 1;
}
int m_channels(lua_State* L) {
  lua_pushinteger(L, check_image(L, 1).channels());
  return 1;
}
int m_size(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  lua_pushinteger(L, m.cols);
  lua_pushinteger(L, m.rows);
  return 2;
}

int m_resize(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  int w = static_cast<int>(luaL_checkinteger(L, 2)), h = static_cast<int>(luaL_checkinteger(L, 3));
  if (w < 1 || h < 1) throw ImageError("resize: width and height must be positive");
  int interp = (w < m.cols || h < m.rows) ? cv::INTER_AREA : cv::INTER_LANCZOS4;  // area down, Lanczos up
  cv::Mat out;
  cv::resize(m, out, cv::Size(w, h), 0, 0, interp);
  push_image(L, out);
  return 1;
}

int m_crop(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  cv::Rect r(static_cast<int>(luaL_checkinteger(L, 2)), static_cast<int>(luaL_checkinteger(L, 3)),
             static_cast<int>(luaL_checkinteger(L, 4)), static_cast<int>(luaL_checkinteger(L, 5)));
  if (r.x < 0 || r.y < 0 || r.width < 1 || r.height < 1 || r.x + r.width > m.cols || r.y + r.height > m.rows)
    throw ImageError("crop: rectangle outside the image");
  push_image(L, m(r).clone());
  return 1;
}

// fit: inside the box, aspect kept. cover: fills the box, centre-cropped.
// pad: fit, then centred on a canvas of the box's size (letterbox).
int m_fit(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  int w = static_cast<int>(luaL_checkinteger(L, 2)), h = static_cast<int>(luaL_checkinteger(L, 3));
  if (w < 1 || h < 1) throw ImageError("fit: width and height must be positive");
  double s = std::min(static_cast<double>(w) / m.cols, static_cast<double>(h) / m.rows);
  cv::Size size(std::max(1, static_cast<int>(m.cols * s + 0.5)), std::max(1, static_cast<int>(m.rows * s + 0.5)));
  cv::Mat out;
  cv::resize(m, out, size, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LANCZOS4);
  push_image(L, out);
  return 1;
}

int m_cover(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  int w = static_cast<int>(luaL_checkinteger(L, 2)), h = static_cast<int>(luaL_checkinteger(L, 3));
  if (w < 1 || h < 1) throw ImageError("cover: width and height must be positive");
  double s = std::max(static_cast<double>(w) / m.cols, static_cast<double>(h) / m.rows);
  cv::Size size(std::max(w, static_cast<int>(m.cols * s + 0.5)), std::max(h, static_cast<int>(m.rows * s + 0.5)));
  cv::Mat scaled;
  cv::resize(m, scaled, size, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LANCZOS4);
  push_image(L, scaled(cv::Rect((size.width - w) / 2, (size.height - h) / 2, w, h)).clone());
  return 1;
}

int m_pad(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  int w = static_cast<int>(luaL_checkinteger(L, 2)), h = static_cast<int>(luaL_checkinteger(L, 3));
  if (w < 1 || h < 1) throw ImageError("pad: width and height must be positive");
  double s = std::min(static_cast<double>(w) / m.cols, static_cast<double>(h) / m.rows);
  cv::Size size(std::max(1, static_cast<int>(m.cols * s + 0.5)), std::max(1, static_cast<int>(m.rows * s + 0.5)));
  cv::Mat scaled;
  cv::resize(m, scaled, size, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LANCZOS4);
  cv::Mat canvas(h, w, m.type(), parse_color(L, 4, m.channels()));
  scaled.copyTo(canvas(cv::Rect((w - size.width) / 2, (h - size.height) / 2, size.width, size.height)));
  push_image(L, canvas);
  return 1;
}

// Quarter turns are exact; other angles rotate about the centre onto a canvas that holds the result.
int m_rotate(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  double deg = luaL_checknumber(L, 2);
  double norm = std::fmod(std::fmod(deg, 360.0) + 360.0, 360.0);
  cv::Mat out;
  if (norm == 0) {
    out = m.clone();
  } else if (norm == 90) {
    cv::rotate(m, out, cv::ROTATE_90_COUNTERCLOCKWISE);
  } else if (norm == 180) {
    cv::rotate(m, out, cv::ROTATE_180);
  } else if (norm == 270) {
    cv::rotate(m, out, cv::ROTATE_90_CLOCKWISE);
  } else {
    cv::Point2f c(m.cols / 2.0f, m.rows / 2.0f);
    cv::Mat r = cv::getRotationMatrix2D(c, deg, 1.0);
    cv::Rect2f box = cv::RotatedRect(cv::Point2f(), m.size(), static_cast<float>(deg)).boundingRect2f();
    r.at<double>(0, 2) += box.width / 2.0 - c.x;
    r.at<double>(1, 2) += box.height / 2.0 - c.y;
    cv::warpAffine(m, out, r, box.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0, 0));
  }
  push_image(L, out);
  return 1;
}

// Alpha-blends `other` over a copy of self at (x, y), clipped at the edges.
int m_composite(lua_State* L) {
  cv::Mat& base = check_image(L, 1);
  cv::Mat& over = check_image(L, 2);
  int x = static_cast<int>(luaL_optinteger(L, 3, 0)), y = static_cast<int>(luaL_optinteger(L, 4, 0));
  double opacity = luaL_optnumber(L, 5, 1.0);
  cv::Mat out = base.clone();
  cv::Rect dst = cv::Rect(x, y, over.cols, over.rows) & cv::Rect(0, 0, out.cols, out.rows);
  if (dst.area() > 0) {
    cv::Mat src = over(cv::Rect(dst.x - x, dst.y - y, dst.width, dst.height));
    cv::Mat src_bgr, alpha;
    if (src.channels() == 4) {
      std::vector<cv::Mat> p;
      cv::split(src, p);
      alpha = p[3];
      cv::merge(std::vector<cv::Mat>{p[0], p[1], p[2]}, src_bgr);
    } else {
      src_bgr = src.channels() == 1 ? cv::Mat() : src;
      if (src.channels() == 1) cv::cvtColor(src, src_bgr, cv::COLOR_GRAY2BGR);
      alpha = cv::Mat(src.size(), CV_8U, cv::Scalar(255));
    }
    cv::Mat a;
    alpha.convertTo(a, CV_32F, opacity / 255.0);
    cv::Mat roi = out(dst);
    std::vector<cv::Mat> rp;
    cv::split(roi, rp);
    std::vector<cv::Mat> sp;
    cv::split(src_bgr, sp);
    for (int c = 0; c < 3 && c < static_cast<int>(rp.size()); ++c) {
      cv::Mat s32, d32;
      sp[c].convertTo(s32, CV_32F);
      rp[c].convertTo(d32, CV_32F);
      cv::Mat blended = s32.mul(a) + d32.mul(1.0 - a);
      blended.convertTo(rp[c], CV_8U);
    }
    if (rp.size() == 4) {  // result alpha: over + base × (1 − over)
      cv::Mat d32;
      rp[3].convertTo(d32, CV_32F, 1.0 / 255.0);
      cv::Mat ra = a + d32.mul(1.0 - a);
      ra.convertTo(rp[3], CV_8U, 255.0);
    }
    cv::merge(rp, roi);
  }
  push_image(L, out);
  return 1;
}

// convert("gray" | "rgb" | "bgr" | "rgba" | "bgra"): the channel layout; handles keep BGR(A) internally,
// so "rgb"/"bgr" both give 3 channels and "rgba"/"bgra" 4.
int m_convert(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  std::string to = luaL_checkstring(L, 2);
  cv::Mat out;
  int c = m.channels();
  if (to == "gray") {
    if (c == 1) out = m.clone(); else cv::cvtColor(m, out, c == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  } else if (to == "rgb" || to == "bgr") {
    if (c == 3) out = m.clone(); else cv::cvtColor(m, out, c == 4 ? cv::COLOR_BGRA2BGR : cv::COLOR_GRAY2BGR);
  } else if (to == "rgba" || to == "bgra") {
    if (c == 4) out = m.clone(); else cv::cvtColor(m, out, c == 3 ? cv::COLOR_BGR2BGRA : cv::COLOR_GRAY2BGRA);
  } else {
    throw ImageError("convert: target must be gray, rgb, bgr, rgba or bgra");
  }
  push_image(L, out);
  return 1;
}

int m_encode(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  std::string fmt = luaL_optstring(L, 2, "png");
  if (fmt == "jpg") fmt = "jpeg";
  std::vector<int> params;
  int quality = 90;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "quality");
    if (lua_isnumber(L, -1)) quality = static_cast<int>(lua_tointeger(L, -1));
    lua_pop(L, 1);
  }
  std::string ext;
  if (fmt == "jpeg") {
    ext = ".jpg";
    params = {cv::IMWRITE_JPEG_QUALITY, quality};
  } else if (fmt == "webp") {
    ext = ".webp";
    params = {cv::IMWRITE_WEBP_QUALITY, quality};
  } else if (fmt == "png" || fmt == "bmp" || fmt == "tiff") {
    ext = "." + fmt;
  } else {
    throw ImageError("encode: format must be png, jpeg, webp, bmp or tiff");
  }
  cv::Mat src = m;
  if (fmt == "jpeg" && m.channels() == 4) cv::cvtColor(m, src, cv::COLOR_BGRA2BGR);  // JPEG has no alpha
  std::vector<uchar> out;
  if (!cv::imencode(ext, src, out, params)) throw ImageError("encode: " + fmt + " encoding failed");
  lua_pushlstring(L, reinterpret_cast<const char*>(out.data()), out.size());
  return 1;
}

int m_save(lua_State* L) {
  std::string path = luaL_checkstring(L, 2);
  std::string fmt = path.substr(path.rfind('.') + 1);
  lua_settop(L, 3);
  lua_pushstring(L, fmt.c_str());
  lua_replace(L, 2);
  m_encode(L);
  size_t n;
  const char* bytes = lua_tolstring(L, -1, &n);
  store::write_atomic(path, std::string_view(bytes, n));
  return 0;
}

int m_fill(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  fill_solid(m, parse_color(L, 2, m.channels()));
  lua_settop(L, 1);
  return 1;
}

int m_rect(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  cv::Rect r(static_cast<int>(luaL_checkinteger(L, 2)), static_cast<int>(luaL_checkinteger(L, 3)),
             static_cast<int>(luaL_checkinteger(L, 4)), static_cast<int>(luaL_checkinteger(L, 5)));
  cv::rectangle(m, r, parse_color(L, 6, m.channels()), static_cast<int>(luaL_optinteger(L, 7, -1)), cv::LINE_AA);
  lua_settop(L, 1);
  return 1;
}

int m_circle(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  cv::circle(m, cv::Point(static_cast<int>(luaL_checkinteger(L, 2)), static_cast<int>(luaL_checkinteger(L, 3))),
             static_cast<int>(luaL_checkinteger(L, 4)), parse_color(L, 5, m.channels()),
             static_cast<int>(luaL_optinteger(L, 6, -1)), cv::LINE_AA);
  lua_settop(L, 1);
  return 1;
}

int m_line(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  cv::Point a(static_cast<int>(luaL_checkinteger(L, 2)), static_cast<int>(luaL_checkinteger(L, 3)));
  cv::Point b(static_cast<int>(luaL_checkinteger(L, 4)), static_cast<int>(luaL_checkinteger(L, 5)));
  int thickness = static_cast<int>(luaL_optinteger(L, 7, 1));
  if (thickness < 1 || thickness > 1000) throw ImageError("line: thickness must be 1-1000");
  cv::line(m, a, b, parse_color(L, 6, m.channels()), thickness, cv::LINE_AA);
  lua_settop(L, 1);
  return 1;
}

// Text in OpenCV's Hershey simplex font (ASCII; other bytes draw as '?').
// `size` is the cap height in pixels; x, y is the top-left corner of the text.
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

// One '?' per UTF-8 character the font cannot draw (not one per byte).
std::string ascii_only(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c >= 32 && c <= 126)
      out += static_cast<char>(c);
    else if ((c & 0xC0) != 0x80)
      out += '?';
  }
  return out;
}

double font_scale(double size) {
  if (!(size >= 1 && size <= 2000)) throw ImageError("text: size must be 1-2000 pixels");
  int base = 0;
  cv::Size one = cv::getTextSize("H", kFont, 1.0, 1, &base);
  return size / one.height;
}

int thickness_for(lua_State* L, int idx, double size) {
  int t = static_cast<int>(luaL_optinteger(L, idx, std::max(1, static_cast<int>(size / 12))));
  if (t < 1 || t > 200) throw ImageError("text: thickness must be 1-200");
  return t;
}

int m_text(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  std::string text = ascii_only(luaL_checkstring(L, 2));
  int x = static_cast<int>(luaL_checkinteger(L, 3)), y = static_cast<int>(luaL_checkinteger(L, 4));
  double size = luaL_optnumber(L, 5, 16);
  double scale = font_scale(size);
  int thickness = thickness_for(L, 7, size);
  cv::putText(m, text, cv::Point(x, y + static_cast<int>(size)), kFont, scale, parse_color(L, 6, m.channels()),
              thickness, cv::LINE_AA);
  lua_settop(L, 1);
  return 1;
}

// width, height (cap height + descender) of a text at a size, for layout (wrapping) in Lua.
int l_text_size(lua_State* L) {
  std::string text = ascii_only(luaL_checkstring(L, 1));
  double size = luaL_optnumber(L, 2, 16);
  int base = 0;
  cv::Size sz = cv::getTextSize(text, kFont, font_scale(size), thickness_for(L, 3, size), &base);
  lua_pushinteger(L, sz.width);
  lua_pushinteger(L, sz.height + base);
  return 2;
}

// The alpha channel as a one-channel image (opaque white when there is none): a cut-out's matte.
int m_alpha(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  cv::Mat a;
  if (m.channels() == 4)
    cv::extractChannel(m, a, 3);
  else
    a = cv::Mat(m.rows, m.cols, CV_8UC1, cv::Scalar(255));
  push_image(L, std::move(a));
  return 1;
}

// One pixel (r, g, b, a): for probes in tests and checks, not for loops.
int m_pixel(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  int x = static_cast<int>(luaL_checkinteger(L, 2)), y = static_cast<int>(luaL_checkinteger(L, 3));
  if (x < 0 || y < 0 || x >= m.cols || y >= m.rows) throw ImageError("pixel: outside the image");
  const uchar* p = m.ptr<uchar>(y) + x * m.channels();
  int c = m.channels();
  lua_pushinteger(L, c >= 3 ? p[2] : p[0]);
  lua_pushinteger(L, c >= 3 ? p[1] : p[0]);
  lua_pushinteger(L, p[0]);
  lua_pushinteger(L, c == 4 ? p[3] : 255);
  return 4;
}

int m_gc(lua_State* L) {
  static_cast<ImageHandle*>(luaL_checkudata(L, 1, kImageMeta))->~ImageHandle();
  return 0;
}

int m_tostring(lua_State* L) {
  cv::Mat& m = check_image(L, 1);
  lua_pushfstring(L, "image %dx%dx%d", m.cols, m.rows, m.channels());
  return 1;
}

}  // namespace

void ensure_image_meta(lua_State* L) {
  if (luaL_newmetatable(L, kImageMeta) == 0) {
    lua_pop(L, 1);
    return;
  }
  static const luaL_Reg methods[] = {
      {"width", runtime::guarded<m_width>},   {"height", runtime::guarded<m_height>},
      {"channels", runtime::guarded<m_channels>}, {"size", runtime::guarded<m_size>},
      {"resize", runtime::guarded<m_resize>}, {"crop", runtime::guarded<m_crop>},
      {"encode", runtime::guarded<m_encode>}, {"save", runtime::guarded<m_save>},
      {"fill", runtime::guarded<m_fill>},     {"rect", runtime::guarded<m_rect>},
      {"circle", runtime::guarded<m_circle>}, {"pixel", runtime::guarded<m_pixel>},
      {"line", runtime::guarded<m_line>},     {"text", runtime::guarded<m_text>},
      {"alpha", runtime::guarded<m_alpha>},
      {"fit", runtime::guarded<m_fit>},       {"cover", runtime::guarded<m_cover>},
      {"pad", runtime::guarded<m_pad>},       {"rotate", runtime::guarded<m_rotate>},
      {"composite", runtime::guarded<m_composite>}, {"convert", runtime::guarded<m_convert>},
      {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, m_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, runtime::guarded<m_tostring>);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
}

int luaopen_image(lua_State* L) {
  ensure_image_meta(L);
  static const luaL_Reg fns[] = {{"probe", runtime::guarded<l_probe>},
                                 {"decode", runtime::guarded<l_decode>},
                                 {"load", runtime::guarded<l_load>},
                                 {"thumbnail", runtime::guarded<l_thumbnail>},
                                 {"new", runtime::guarded<l_new>},
                                 {"text_size", runtime::guarded<l_text_size>},
                                 {"remove_background", runtime::guarded<l_remove_background>},
                                 {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, fns);
  return 1;
}

}  // namespace mr::media
