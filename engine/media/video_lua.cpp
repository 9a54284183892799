// media/video_lua.cpp — `moonreel.video`, the Lua face of the video primitive.
//
//   local video = require("moonreel.video")
//   local info = video.probe("in.mp4")   --> { duration, fps, fps_num, fps_den, width, height, frames,
//                                        --    frames_exact, video_codec, pix_fmt, bit_rate, size_bytes,
//                                        --    container, audio = { { codec, sample_rate, channels, duration } } }
//   local img  = video.frame_at("in.mp4", 1.5)          -- the frame on screen at 1.5 s (image handle)
//   local th   = video.thumbnail("in.mp4", 256)         -- within 256x256; t defaults to 10% of the duration
//   video.encode("out.mp4", { { image = a, duration = 1.5 }, { image = b, frames = 12 } },
//                { fps_num = 24000, fps_den = 1001, width = 1280, height = 720, crf = 20, preset = "veryfast" })
//                                        --> { frames = 48, duration = 2.002, path = "out.mp4" }
//   video.add_audio("v.mp4", "music.wav", "out.mp4", { replace = true, trim = true, fade_out_s = 1 })
//                                        --> the probe of out.mp4
//   video.trim("in.mp4", "out.mp4", 1.0, 3.5 [, { crf = 18, preset = "veryfast", audio = true }])
//                                        --> { frames = 60, duration = 2.5, path = "out.mp4" }
//
// Inputs are opened under media.max_duration_s and media.max_video_bytes.
// Errors are Lua errors "video: <file> has no video stream" and the like
// (media/video_reader.hpp lists the checks). Every call blocks its thread;
// heavy calls (encode, trim, add_audio) belong in jobs, not request handlers.
#include <lua.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "json/json_lua.hpp"
#include "media/image_handle.hpp"
#include "media/video_edit.hpp"
#include "runtime/lua_state.hpp"

namespace mr::media {

namespace {

/* -- Arguments ----------------------------------------------------------- */

Limits limits_from_config() {
  const auto& cfg = config::current();
  Limits l;
  l.max_duration_s = cfg.number("media.max_duration_s");
  l.max_bytes = static_cast<std::uintmax_t>(std::max<long long>(0, cfg.integer("media.max_video_bytes")));
  return l;
}

double opt_number(lua_State* L, int t, const char* key, double def) {
  if (!lua_istable(L, t)) return def;
  lua_getfield(L, t, key);
  double v = def;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "video: option %s must be a number", key);
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

int opt_int(lua_State* L, int t, const char* key, int def) {
  double v = opt_number(L, t, key, def);
  if (v != std::trunc(v) || std::fabs(v) > 2e9) luaL_error(L, "video: option %s must be an integer", key);
  return static_cast<int>(v);
}

bool opt_bool(lua_State* L, int t, const char* key, bool def) {
  if (!lua_istable(L, t)) return def;
  lua_getfield(L, t, key);
  bool v = def;
  if (!lua_isnil(L, -1)) {
    if (!lua_isboolean(L, -1)) luaL_error(L, "video: option %s must be true or false", key);
    v = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

std::string opt_string(lua_State* L, int t, const char* key, const std::string& def) {
  if (!lua_istable(L, t)) return def;
  lua_getfield(L, t, key);
  std::string v = def;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "video: option %s must be a string", key);
    v = lua_tostring(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

void check_options(lua_State* L, int idx) {
  if (!lua_isnoneornil(L, idx)) luaL_checktype(L, idx, LUA_TTABLE);
}

// `fps = 24` or `fps = 29.97` (NTSC rates snap to N*1000/1001), or fps_num / fps_den.
void frame_rate(lua_State* L, int t, int& num, int& den) {
  num = opt_int(L, t, "fps_num", 0);
  den = opt_int(L, t, "fps_den", 1);
  if (num > 0) {
    if (den <= 0) luaL_error(L, "video: fps_den must be a positive integer");
    return;
  }
  double fps = opt_number(L, t, "fps", 24);
  if (!(fps > 0) || fps > 1000) luaL_error(L, "video: fps must be between 0 and 1000");
  if (fps == std::trunc(fps)) {
    num = static_cast<int>(fps);
    den = 1;
  } else if (double ntsc = std::round(fps * 1.001); std::fabs(ntsc / 1.001 - fps) < 0.005) {
    num = static_cast<int>(ntsc) * 1000;
    den = 1001;
  } else {
    AVRational q = av_d2q(fps, 100000);
    num = q.num;
    den = q.den;
  }
}

/* -- Results ------------------------------------------------------------- */

void set_number(lua_State* L, const char* k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}
void set_string(lua_State* L, const char* k, const std::string& v) {
  lua_pushlstring(L, v.data(), v.size());
  lua_setfield(L, -2, k);
}

void push_info(lua_State* L, const VideoInfo& info) {
  lua_createtable(L, 0, 16);
  set_number(L, "duration", info.duration);
  set_number(L, "fps", info.fps);
  set_number(L, "fps_num", info.fps_num);
  set_number(L, "fps_den", info.fps_den);
  set_number(L, "width", info.width);
  set_number(L, "height", info.height);
  set_number(L, "frames", static_cast<double>(info.frames));
  lua_pushboolean(L, info.frames_exact);
  lua_setfield(L, -2, "frames_exact");
  set_string(L, "video_codec", info.video_codec);
  set_string(L, "pix_fmt", info.pix_fmt);
  set_number(L, "bit_rate", static_cast<double>(info.bit_rate));
  set_number(L, "size_bytes", static_cast<double>(info.size_bytes));
  set_string(L, "container", info.container);
  lua_createtable(L, static_cast<int>(info.audio.size()), 0);
  for (size_t i = 0; i < info.audio.size(); ++i) {
    const AudioStreamInfo& a = info.audio[i];
    lua_createtable(L, 0, 4);
    set_string(L, "codec", a.codec);
    set_number(L, "sample_rate", a.sample_rate);
    set_number(L, "channels", a.channels);
    set_number(L, "duration", a.duration);
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
  json::tag_array(L, -1);
  lua_setfield(L, -2, "audio");
}

void push_result(lua_State* L, const EncodeResult& r) {
  lua_createtable(L, 0, 3);
  set_number(L, "frames", static_cast<double>(r.frames));
  set_number(L, "duration", r.duration);
  set_string(L, "path", r.path);
}

/* -- Functions ----------------------------------------------------------- */

int l_probe(lua_State* L) {
  std::string path = luaL_checkstring(L, 1);
  push_info(L, probe(path, limits_from_config()));
  return 1;
}

int l_frame_at(lua_State* L) {
  std::string path = luaL_checkstring(L, 1);
  double t = luaL_checknumber(L, 2);
  cv::Mat img;
  {
    VideoReader r(path, limits_from_config());
    img = r.frame_at(t);
  }
  ensure_image_meta(L);
  push_image(L, std::move(img));
  return 1;
}

int l_thumbnail(lua_State* L) {
  std::string path = luaL_checkstring(L, 1);
  lua_Integer max_side = luaL_optinteger(L, 2, 256);
  if (max_side < 1 || max_side > 16384) luaL_error(L, "video: thumbnail size must be between 1 and 16384");
  cv::Mat img;
  {
    VideoReader r(path, limits_from_config(), ReaderOptions{1, true});
    double t = luaL_optnumber(L, 3, r.info().duration * 0.1);
    img = r.thumbnail(t, static_cast<int>(max_side));
  }
  ensure_image_meta(L);
  push_image(L, std::move(img));
  return 1;
}

int l_encode(lua_State* L) {
  std::string out = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  check_options(L, 3);
  std::vector<SequenceItem> items;
  int n = static_cast<int>(lua_objlen(L, 2));
  if (n == 0) luaL_error(L, "video.encode: frames is empty");
  items.reserve(n);
  for (int i = 1; i <= n; ++i) {
    lua_rawgeti(L, 2, i);
    if (!lua_istable(L, -1)) luaL_error(L, "video.encode: frames[%d] must be a table {image=, duration= | frames=}", i);
    int item = lua_gettop(L);
    SequenceItem it;
    lua_getfield(L, item, "image");
    if (lua_type(L, -1) != LUA_TUSERDATA) luaL_error(L, "video.encode: frames[%d].image must be an image", i);
    it.image = check_image(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, item, "frames");
    bool has_frames = !lua_isnil(L, -1);
    if (has_frames) {
      double f = lua_tonumber(L, -1);
      if (lua_type(L, -1) != LUA_TNUMBER || f < 0 || f != std::trunc(f) || f > 1e9)
        luaL_error(L, "video.encode: frames[%d].frames must be a whole number >= 0", i);
      it.frames = static_cast<std::int64_t>(f);
    }
    lua_pop(L, 1);
    lua_getfield(L, item, "duration");
    if (!has_frames) {
      if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 0))
        luaL_error(L, "video.encode: frames[%d] needs duration (seconds >= 0) or frames", i);
      it.duration = lua_tonumber(L, -1);
    }
    lua_pop(L, 2);
    items.push_back(std::move(it));
  }
  WriterOptions o;
  frame_rate(L, 3, o.fps_num, o.fps_den);
  // Defaults to the first image's size, made even for yuv420p.
  o.width = opt_int(L, 3, "width", std::max(2, items[0].image.cols & ~1));
  o.height = opt_int(L, 3, "height", std::max(2, items[0].image.rows & ~1));
  o.crf = opt_int(L, 3, "crf", o.crf);
  o.preset = opt_string(L, 3, "preset", o.preset);
  o.faststart = opt_bool(L, 3, "faststart", o.faststart);
  o.keyframe_s = opt_number(L, 3, "keyframe_s", o.keyframe_s);
  push_result(L, encode_sequence(out, items, o, limits_from_config()));
  return 1;
}

int l_add_audio(lua_State* L) {
  std::string video = luaL_checkstring(L, 1);
  std::string audio = luaL_checkstring(L, 2);
  std::string out = luaL_checkstring(L, 3);
  check_options(L, 4);
  AddAudioOptions o;
  o.replace = opt_bool(L, 4, "replace", o.replace);
  o.trim = opt_bool(L, 4, "trim", o.trim);
  o.fade_in_s = opt_number(L, 4, "fade_in_s", o.fade_in_s);
  o.fade_out_s = opt_number(L, 4, "fade_out_s", o.fade_out_s);
  if (o.fade_in_s < 0 || o.fade_out_s < 0) luaL_error(L, "video: fades must be >= 0 seconds");
  push_info(L, add_audio(video, audio, out, o, limits_from_config()));
  return 1;
}

int l_trim(lua_State* L) {
  std::string in = luaL_checkstring(L, 1);
  std::string out = luaL_checkstring(L, 2);
  double start = luaL_checknumber(L, 3);
  double end = luaL_checknumber(L, 4);
  check_options(L, 5);
  TrimOptions o;
  o.crf = opt_int(L, 5, "crf", o.crf);
  o.preset = opt_string(L, 5, "preset", o.preset);
  o.audio = opt_bool(L, 5, "audio", o.audio);
  push_result(L, trim(in, out, start, end, o, limits_from_config()));
  return 1;
}

/* -- Streaming writer ------------------------------------------------------ */

// video.writer(out, {width, height, fps | fps_num/fps_den, crf, preset, keyframe_s}) → w
//   w:write(img [, repeat]) · w:close() → {path, frames, duration}
// Frames go to the encoder as they come (no list of images in memory); the
// file appears only when close() succeeds — a writer dropped or collected
// before close leaves nothing behind.
const char* kWriterMeta = "moonreel.video.writer";

struct WriterHandle {
  VideoWriter* writer;
  std::string path;
};

WriterHandle& check_writer(lua_State* L) {
  auto* h = static_cast<WriterHandle*>(luaL_checkudata(L, 1, kWriterMeta));
  if (!h->writer) luaL_error(L, "video writer: already closed");
  return *h;
}

int l_writer(lua_State* L) {
  std::string out = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  WriterOptions o;
  frame_rate(L, 2, o.fps_num, o.fps_den);
  o.width = opt_int(L, 2, "width", 0);
  o.height = opt_int(L, 2, "height", 0);
  if (o.width < 2 || o.height < 2) luaL_error(L, "video.writer: width and height are required (>= 2)");
  o.width &= ~1;  // yuv420p needs even sides
  o.height &= ~1;
  o.crf = opt_int(L, 2, "crf", o.crf);
  o.preset = opt_string(L, 2, "preset", o.preset);
  o.keyframe_s = opt_number(L, 2, "keyframe_s", o.keyframe_s);
  if (!(o.keyframe_s > 0)) luaL_error(L, "video.writer: keyframe_s must be > 0");
  auto* h = static_cast<WriterHandle*>(lua_newuserdata(L, sizeof(WriterHandle)));
  new (h) WriterHandle{nullptr, out};
  luaL_getmetatable(L, kWriterMeta);
  lua_setmetatable(L, -2);
  auto w = std::make_unique<VideoWriter>();
  w->open(out, o);
  h->writer = w.release();
  return 1;
}

int m_writer_write(lua_State* L) {
  WriterHandle& h = check_writer(L);
  const cv::Mat& img = check_image(L, 2);
  lua_Integer repeat = luaL_optinteger(L, 3, 1);
  if (repeat < 0 || repeat > 100000) luaL_error(L, "video writer: repeat must be 0-100000");
  h.writer->write_frame(img, static_cast<int>(repeat));
  lua_settop(L, 1);
  return 1;
}

int m_writer_close(lua_State* L) {
  WriterHandle& h = check_writer(L);
  std::unique_ptr<VideoWriter> w(h.writer);
  h.writer = nullptr;
  w->close();
  EncodeResult r;
  r.path = h.path;
  r.frames = w->frames_written();
  r.duration = w->duration();
  push_result(L, r);
  return 1;
}

int m_writer_gc(lua_State* L) {
  auto* h = static_cast<WriterHandle*>(luaL_checkudata(L, 1, kWriterMeta));
  delete h->writer;  // unclosed: the temp file is discarded
  h->writer = nullptr;
  h->path.~basic_string();
  return 0;
}

void register_writer_meta(lua_State* L) {
  if (luaL_newmetatable(L, kWriterMeta)) {
    lua_pushcfunction(L, m_writer_gc);
    lua_setfield(L, -2, "__gc");
    lua_newtable(L);
    lua_pushcfunction(L, runtime::guarded<m_writer_write>);
    lua_setfield(L, -2, "write");
    lua_pushcfunction(L, runtime::guarded<m_writer_close>);
    lua_setfield(L, -2, "close");
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
}

}  // namespace

int luaopen_video(lua_State* L) {
  static const luaL_Reg fns[] = {{"probe", runtime::guarded<l_probe>},
                                 {"frame_at", runtime::guarded<l_frame_at>},
                                 {"thumbnail", runtime::guarded<l_thumbnail>},
                                 {"encode", runtime::guarded<l_encode>},
                                 {"add_audio", runtime::guarded<l_add_audio>},
                                 {"trim", runtime::guarded<l_trim>},
                                 {"writer", runtime::guarded<l_writer>},
                                 {nullptr, nullptr}};
  register_writer_meta(L);
  lua_newtable(L);
  luaL_register(L, nullptr, fns);
  return 1;
}

}  // namespace mr::media
