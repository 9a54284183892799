// tests/unit/video_test.cpp — the video primitive on videos the tests make themselves: frame-exact
// encoding at 24, 25 and 30000/1001 fps, accurate seeking across every cut, thumbnails, adding audio,
// trimming, limits, and the errors for missing, empty, corrupt, truncated and video-less files.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "media/video_edit.hpp"
#include "runtime/lua_state.hpp"

namespace fs = std::filesystem;
using namespace mr;
using media::SequenceItem;
using media::VideoError;

namespace {

struct TempDir {
  fs::path dir;
  TempDir() {
    static int n = 0;
    dir = fs::temp_directory_path() /
          ("moonreel-video-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path operator/(const std::string& name) const { return dir / name; }
};

cv::Mat solid(int w, int h, cv::Scalar bgr) { return cv::Mat(h, w, CV_8UC3, bgr); }

const std::vector<cv::Scalar> kColours = {{0, 0, 255},   {0, 255, 0},     {255, 0, 0},
                                         {255, 255, 255}, {40, 40, 40}, {0, 200, 255}};

bool close_colour(const cv::Mat& img, cv::Scalar want, double tol = 12) {
  cv::Scalar m = cv::mean(img);
  for (int c = 0; c < 3; ++c)
    if (std::fabs(m[c] - want[c]) > tol) return false;
  return true;
}

std::string colour_text(const cv::Mat& img) {
  cv::Scalar m = cv::mean(img);
  char buf[64];
  std::snprintf(buf, sizeof buf, "(%.0f, %.0f, %.0f)", m[0], m[1], m[2]);
  return buf;
}

// A 16-bit PCM WAV of a sine.
void write_wav(const fs::path& p, double seconds, int rate = 44100, int channels = 2, double hz = 440) {
  const std::uint32_t frames = static_cast<std::uint32_t>(seconds * rate);
  const std::uint32_t data = frames * channels * 2;
  std::ofstream f(p, std::ios::binary);
  auto u32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  f.write("RIFF", 4);
  u32(36 + data);
  f.write("WAVEfmt ", 8);
  u32(16);
  u16(1);
  u16(static_cast<std::uint16_t>(channels));
  u32(rate);
  u32(rate * channels * 2);
  u16(static_cast<std::uint16_t>(channels * 2));
  u16(16);
  f.write("data", 4);
  u32(data);
  for (std::uint32_t i = 0; i < frames; ++i) {
    auto s = static_cast<std::int16_t>(12000 * std::sin(2 * M_PI * hz * i / rate));
    for (int c = 0; c < channels; ++c) u16(static_cast<std::uint16_t>(s));
  }
}

struct Made {
  std::vector<std::int64_t> counts;  // frames per image
  media::EncodeResult result;
};

// Solid-colour images (kColours in turn) for the given durations.
Made make_video(const fs::path& p, const std::vector<double>& durations, int num, int den, int w = 160, int h = 120,
                const std::string& preset = "ultrafast") {
  std::vector<SequenceItem> items;
  for (size_t i = 0; i < durations.size(); ++i)
    items.push_back(SequenceItem{solid(w, h, kColours[i % kColours.size()]), durations[i], -1});
  media::WriterOptions o;
  o.width = w;
  o.height = h;
  o.fps_num = num;
  o.fps_den = den;
  o.preset = preset;  // ultrafast has no B-frames; veryfast (the default) has
  Made m;
  m.counts = media::frame_counts(items, num, den);
  m.result = media::encode_sequence(p, items, o);
  return m;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const VideoError& e) {
    return e.what();
  }
  return "(no error)";
}

bool have_cli(const char* name) { return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0; }

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  ::pclose(p);
  return out;
}

std::vector<fs::path> listing(const fs::path& dir) {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(dir)) v.push_back(e.path().filename());
  return v;
}

}  // namespace

/* -- Frame counts -------------------------------------------------------- */

TEST_CASE("video frame_counts: durations become frames from cumulative time, so cuts never drift",
          "[video]") {
  std::vector<SequenceItem> thirds(100, SequenceItem{cv::Mat(), 1.0 / 3.0, -1});
  auto c = media::frame_counts(thirds, 24, 1);
  std::int64_t total = 0;
  for (auto n : c) total += n;
  CHECK(total == 800);
  CHECK(c[0] == 8);

  // 0.3 s at 25 fps is 7.5 frames: the cuts land on 8, 15, 23, 30 ... and ten of them make 75.
  std::vector<SequenceItem> odd(10, SequenceItem{cv::Mat(), 0.3, -1});
  c = media::frame_counts(odd, 25, 1);
  CHECK(c[0] == 8);
  CHECK(c[1] == 7);
  CHECK(c[2] == 8);
  total = 0;
  for (auto n : c) total += n;
  CHECK(total == 75);

  // A 1-second still at 30000/1001 is 29.97 frames: 30, then 30, 30 ... until the grid catches up.
  std::vector<SequenceItem> ntsc(1001, SequenceItem{cv::Mat(), 1.0, -1});
  c = media::frame_counts(ntsc, 30000, 1001);
  total = 0;
  for (auto n : c) total += n;
  CHECK(total == 30000);

  // Frame-count items put the clock back on the grid exactly.
  std::vector<SequenceItem> mixed = {{cv::Mat(), -1, 5}, {cv::Mat(), 0.5, -1}, {cv::Mat(), -1, 1}, {cv::Mat(), 0.1, -1}};
  c = media::frame_counts(mixed, 24, 1);
  CHECK(c == std::vector<std::int64_t>{5, 12, 1, 2});  // 5/24 + 0.5 = 17/24 → 17; 18/24 + 0.1 → 20.4 → 20

  // Shorter than a frame: no frames, and the time still counts towards the next cut.
  std::vector<SequenceItem> tiny = {{cv::Mat(), 0.01, -1}, {cv::Mat(), 0.03, -1}};
  CHECK(media::frame_counts(tiny, 24, 1) == std::vector<std::int64_t>{0, 1});

  std::vector<SequenceItem> bad = {{cv::Mat(), -1, -1}};
  CHECK_THROWS_WITH(media::frame_counts(bad, 24, 1), Catch::Contains("needs a duration"));
}

/* -- Encoding and probing ------------------------------------------------ */

TEST_CASE("video encode: exact frame counts, rate, size, h264 / yuv420p, and the right frame at every cut",
          "[video]") {
  struct Rate {
    int num, den;
  };
  auto rate = GENERATE(Rate{24, 1}, Rate{25, 1}, Rate{30000, 1001});
  CAPTURE(rate.num, rate.den);
  TempDir tmp;
  const std::vector<double> durations = {0.5, 1.0 / 3.0, 0.75, 0.3, 0.25};
  Made m = make_video(tmp / "seq.mp4", durations, rate.num, rate.den);
  std::int64_t total = 0;
  for (auto n : m.counts) total += n;
  CHECK(m.result.frames == total);

  media::VideoInfo info = media::probe(tmp / "seq.mp4");
  CHECK(info.frames == total);
  CHECK(info.frames_exact);
  CHECK(info.fps_num == rate.num);
  CHECK(info.fps_den == rate.den);
  CHECK(info.width == 160);
  CHECK(info.height == 120);
  CHECK(info.video_codec == "h264");
  CHECK(info.pix_fmt == "yuv420p");
  CHECK(info.container == "mp4");
  CHECK(info.audio.empty());
  CHECK(info.duration == Approx(double(total) * rate.den / rate.num).margin(1e-3));
  CHECK(info.bit_rate > 0);

  // Each side of every cut, and the cut itself, in a fresh reader and in one that walks forward.
  media::VideoReader walker(tmp / "seq.mp4");
  const double frame = double(rate.den) / rate.num;
  std::int64_t cut = 0;
  for (size_t i = 0; i < m.counts.size(); ++i) {
    CAPTURE(i, cut);
    if (m.counts[i] == 0) continue;
    if (cut > 0) {
      cv::Mat before = media::VideoReader(tmp / "seq.mp4").frame_at((cut - 0.5) * frame);
      CHECK(close_colour(before, kColours[(i - 1) % kColours.size()]));
    }
    for (double t : {cut * frame, (cut + 0.5) * frame}) {
      CAPTURE(t);
      cv::Mat fresh = media::VideoReader(tmp / "seq.mp4").frame_at(t);
      INFO("fresh reader: " << colour_text(fresh));
      CHECK(close_colour(fresh, kColours[i % kColours.size()]));
      cv::Mat walked = walker.frame_at(t);
      INFO("walking reader: " << colour_text(walked));
      CHECK(close_colour(walked, kColours[i % kColours.size()]));
    }
    cut += m.counts[i];
  }
  // The very last frame.
  cv::Mat last = walker.frame_at(info.duration - frame / 2);
  CHECK(close_colour(last, kColours[(m.counts.size() - 1) % kColours.size()]));
  CHECK(walker.last_pts() == Approx((total - 1) * frame).margin(1e-6));
}

TEST_CASE("video encode: every frame decodes to its image when walked one by one", "[video]") {
  TempDir tmp;
  Made m = make_video(tmp / "walk.mp4", {0.2, 0.1, 0.3, 1.0 / 24, 0.25}, 24000, 1001);
  media::VideoReader r(tmp / "walk.mp4");
  const double frame = 1001.0 / 24000;
  std::int64_t k = 0;
  for (size_t i = 0; i < m.counts.size(); ++i)
    for (std::int64_t j = 0; j < m.counts[i]; ++j, ++k) {
      CAPTURE(i, j, k);
      cv::Mat img = r.frame_at(k * frame);
      CHECK(r.last_pts() == Approx(k * frame).margin(1e-6));
      CHECK(close_colour(img, kColours[i]));
    }
  CHECK(k == r.info().frames);
}

TEST_CASE("video encode: images of other sizes are letterboxed; options are checked", "[video]") {
  TempDir tmp;
  std::vector<SequenceItem> items = {{solid(100, 100, {0, 0, 255}), 0.5, -1}};
  media::WriterOptions o;
  o.width = 200;
  o.height = 100;
  o.preset = "ultrafast";
  media::encode_sequence(tmp / "box.mp4", items, o);
  cv::Mat f = media::VideoReader(tmp / "box.mp4").frame_at(0);
  REQUIRE(f.cols == 200);
  CHECK(close_colour(f(cv::Rect(60, 10, 80, 80)), {0, 0, 255}));  // the image, centred
  CHECK(close_colour(f(cv::Rect(0, 0, 40, 100)), {0, 0, 0}));     // black bars
  CHECK(close_colour(f(cv::Rect(160, 0, 40, 100)), {0, 0, 0}));

  o.width = 161;
  CHECK_THAT(error_of([&] { media::encode_sequence(tmp / "odd.mp4", items, o); }), Catch::Contains("even"));
  o.width = 160;
  o.preset = "warp";
  CHECK_THAT(error_of([&] { media::encode_sequence(tmp / "p.mp4", items, o); }), Catch::Contains("unknown preset"));
  o.preset = "ultrafast";
  o.crf = 60;
  CHECK_THAT(error_of([&] { media::encode_sequence(tmp / "c.mp4", items, o); }), Catch::Contains("crf"));
  o.crf = 20;
  std::vector<SequenceItem> none = {{solid(10, 10, {0, 0, 0}), 0.001, -1}};
  CHECK_THAT(error_of([&] { media::encode_sequence(tmp / "n.mp4", none, o); }), Catch::Contains("no frames"));
  media::Limits short_limit;
  short_limit.max_duration_s = 0.2;
  CHECK_THAT(error_of([&] { media::encode_sequence(tmp / "l.mp4", items, o, short_limit); }),
             Catch::Contains("longer than the limit"));
  // Nothing half-written was left behind by any of these.
  CHECK(listing(tmp.dir) == std::vector<fs::path>{"box.mp4"});
}

TEST_CASE("video writer: the file appears only on close(); an abandoned writer leaves nothing", "[video]") {
  TempDir tmp;
  {
    media::VideoWriter w;
    media::WriterOptions o;
    o.width = 64;
    o.height = 64;
    o.preset = "ultrafast";
    w.open(tmp / "a.mp4", o);
    w.write_frame(solid(64, 64, {1, 2, 3}), 10);
    CHECK(!fs::exists(tmp / "a.mp4"));
  }
  CHECK(listing(tmp.dir).empty());
  media::VideoWriter w;
  media::WriterOptions o;
  o.width = 64;
  o.height = 64;
  o.fps_num = 30000;
  o.fps_den = 1001;
  w.open(tmp / "b.mp4", o);
  w.write_frame(solid(64, 64, {200, 100, 0}), 3);
  w.write_frame(solid(64, 64, {0, 100, 200}), 0);
  w.write_frame(solid(32, 16, {0, 100, 200}), 2);
  w.close();
  CHECK(w.frames_written() == 5);
  CHECK(listing(tmp.dir) == std::vector<fs::path>{"b.mp4"});
  CHECK(media::probe(tmp / "b.mp4").frames == 5);
}

TEST_CASE("video thumbnail: fits the size asked, keeps the aspect ratio, never upscales", "[video]") {
  TempDir tmp;
  // A keyframe every 2 s (the writer's default): the second colour starts on one.
  make_video(tmp / "wide.mp4", {2.0, 0.5}, 25, 1, 320, 180);
  media::VideoReader r(tmp / "wide.mp4", {}, media::ReaderOptions{1, true});
  cv::Mat t = r.thumbnail(0.1, 64);
  CHECK(t.cols == 64);
  CHECK(t.rows == 36);
  CHECK(close_colour(t, kColours[0]));
  // Not exact, by design: the keyframe at or before t.
  CHECK(close_colour(r.thumbnail(2.3, 64), kColours[1]));
  CHECK(close_colour(r.thumbnail(1.9, 64), kColours[0]));
  cv::Mat big = r.thumbnail(0, 1000);
  CHECK(big.cols == 320);
  CHECK(big.rows == 180);
}

/* -- Audio --------------------------------------------------------------- */

TEST_CASE("video add_audio: a WAV becomes an AAC track as long as the video; the video is copied", "[video]") {
  TempDir tmp;
  Made m = make_video(tmp / "v.mp4", {1.0, 1.0}, 24, 1);
  write_wav(tmp / "music.wav", 3.5);
  media::AddAudioOptions o;
  o.fade_out_s = 0.5;
  media::VideoInfo info = media::add_audio(tmp / "v.mp4", tmp / "music.wav", tmp / "va.mp4", o);
  CHECK(info.frames == 48);
  CHECK(info.duration == Approx(2.0).margin(1e-3));
  REQUIRE(info.audio.size() == 1);
  CHECK(info.audio[0].codec == "aac");
  CHECK(info.audio[0].sample_rate == 44100);
  CHECK(info.audio[0].channels == 2);
  CHECK(info.audio[0].duration == Approx(2.0).margin(0.03));
  // Frames still decode where they were.
  media::VideoReader r(tmp / "va.mp4");
  CHECK(close_colour(r.frame_at(0.99), kColours[0]));
  CHECK(close_colour(r.frame_at(1.0), kColours[1]));

  // replace = false keeps the audio already there and adds another track.
  write_wav(tmp / "voice.wav", 1.0, 48000, 1, 220);
  media::AddAudioOptions keep;
  keep.replace = false;
  info = media::add_audio(tmp / "va.mp4", tmp / "voice.wav", tmp / "vaa.mp4", keep);
  REQUIRE(info.audio.size() == 2);
  CHECK(info.audio[1].channels == 1);
  CHECK(info.audio[1].sample_rate == 48000);
  CHECK(info.audio[1].duration == Approx(1.0).margin(0.03));  // shorter than the video: it just ends

  // trim = false keeps the whole music.
  media::AddAudioOptions whole;
  whole.trim = false;
  info = media::add_audio(tmp / "v.mp4", tmp / "music.wav", tmp / "long.mp4", whole);
  CHECK(info.audio[0].duration == Approx(3.5).margin(0.03));
  CHECK(info.frames == 48);

  // A WAV is not a video; a video without audio is not an audio source.
  CHECK_THAT(error_of([&] { media::add_audio(tmp / "music.wav", tmp / "music.wav", tmp / "x.mp4"); }),
             Catch::Contains("has no video stream"));
  CHECK_THAT(error_of([&] { media::add_audio(tmp / "v.mp4", tmp / "v.mp4", tmp / "x.mp4"); }),
             Catch::Contains("has no audio stream"));
  CHECK(!fs::exists(tmp / "x.mp4"));
}

/* -- Trim ---------------------------------------------------------------- */

TEST_CASE("video trim: frame-exact re-encode at the input's rate, audio trimmed with it", "[video]") {
  TempDir tmp;
  Made m = make_video(tmp / "v.mp4", {1.0, 1.0, 1.0}, 30000, 1001);  // cuts at frames 30 and 60
  const double frame = 1001.0 / 30000;
  media::EncodeResult r = media::trim(tmp / "v.mp4", tmp / "t.mp4", 20 * frame, 70 * frame);
  CHECK(r.frames == 50);
  media::VideoInfo info = media::probe(tmp / "t.mp4");
  CHECK(info.frames == 50);
  CHECK(info.fps_num == 30000);
  CHECK(info.fps_den == 1001);
  media::VideoReader t(tmp / "t.mp4");
  CHECK(close_colour(t.frame_at(9 * frame), kColours[0]));
  CHECK(close_colour(t.frame_at(10 * frame), kColours[1]));
  CHECK(close_colour(t.frame_at(39 * frame), kColours[1]));
  CHECK(close_colour(t.frame_at(40 * frame), kColours[2]));
  CHECK(close_colour(t.frame_at(49 * frame), kColours[2]));

  // With audio: the track follows the window.
  write_wav(tmp / "a.wav", 4);
  media::add_audio(tmp / "v.mp4", tmp / "a.wav", tmp / "va.mp4");
  r = media::trim(tmp / "va.mp4", tmp / "ta.mp4", 0.5, 2.0);
  info = media::probe(tmp / "ta.mp4");
  CHECK(info.frames == std::llround(1.5 / frame));
  REQUIRE(info.audio.size() == 1);
  CHECK(info.audio[0].duration == Approx(r.duration).margin(0.03));

  CHECK_THAT(error_of([&] { media::trim(tmp / "v.mp4", tmp / "x.mp4", 2.0, 1.0); }), Catch::Contains("start_s < end_s"));
  CHECK_THAT(error_of([&] { media::trim(tmp / "v.mp4", tmp / "x.mp4", 1.0, 9.0); }), Catch::Contains("is outside"));
}

/* -- Errors and limits --------------------------------------------------- */

TEST_CASE("video errors: missing, empty, not media, corrupt, truncated, audio-only, limits, t out of range",
          "[video]") {
  TempDir tmp;
  make_video(tmp / "ok.mp4", {1.0, 1.0}, 24, 1);
  auto bytes = [&](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  auto put = [&](const std::string& name, const std::string& data) {
    std::ofstream(tmp / name, std::ios::binary) << data;
    return tmp / name;
  };
  const std::string ok = bytes(tmp / "ok.mp4");

  CHECK_THAT(error_of([&] { media::probe(tmp / "nope.mp4"); }), Catch::Contains("does not exist"));
  CHECK_THAT(error_of([&] { media::probe(put("empty.mp4", "")); }), Catch::Contains("is empty"));
  CHECK_THAT(error_of([&] { media::probe(tmp.dir); }), Catch::Contains("not a regular file"));
  CHECK_THAT(error_of([&] { media::probe(put("text.mp4", "hello, this is not a video\n")); }),
             Catch::Contains("is not a media file or is corrupt"));
  std::mt19937 rng(7);
  std::string noise(20000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  CHECK_THAT(error_of([&] { media::probe(put("noise.mp4", noise)); }), Catch::Contains("video: "));

  // Truncated: the index (faststart puts it first) names bytes the file no longer has.
  CHECK_THAT(error_of([&] { media::probe(put("half.mp4", ok.substr(0, ok.size() / 2))); }),
             Catch::Contains("is truncated"));
  CHECK_THAT(error_of([&] { media::VideoReader(put("cut.mp4", ok.substr(0, ok.size() - 100))); }),
             Catch::Contains("is truncated"));
  CHECK_THAT(error_of([&] { media::probe(put("head.mp4", ok.substr(0, 200))); }), Catch::Contains("video: "));
  // Corrupt header: the box structure is garbage.
  std::string corrupt = ok;
  for (size_t i = 0; i < 64; ++i) corrupt[i] = static_cast<char>(rng());
  CHECK_THAT(error_of([&] { media::probe(put("corrupt.mp4", corrupt)); }), Catch::Contains("video: "));
  // Garbage in the middle of the frames: errors or decodes, never crashes.
  std::string mangled = ok;
  for (size_t i = ok.size() / 2; i < ok.size() / 2 + 400 && i < ok.size(); ++i) mangled[i] = static_cast<char>(rng());
  try {
    media::VideoReader r(put("mangled.mp4", mangled));
    for (double t = 0; t < 2; t += 0.1) r.frame_at(t);
  } catch (const VideoError&) {
  }

  write_wav(tmp / "sound.wav", 1.0);
  CHECK_THAT(error_of([&] { media::probe(tmp / "sound.wav"); }), Catch::Contains("has no video stream"));

  media::Limits one_second;
  one_second.max_duration_s = 1.0;
  CHECK_THAT(error_of([&] { media::probe(tmp / "ok.mp4", one_second); }), Catch::Contains("longer than the limit"));
  media::Limits tiny;
  tiny.max_bytes = 100;
  CHECK_THAT(error_of([&] { media::probe(tmp / "ok.mp4", tiny); }), Catch::Contains("over the limit"));
  media::Limits narrow;
  narrow.max_side = 100;
  CHECK_THAT(error_of([&] { media::probe(tmp / "ok.mp4", narrow); }), Catch::Contains("pixels a side"));

  media::VideoReader r(tmp / "ok.mp4");
  CHECK_THAT(error_of([&] { r.frame_at(2.0); }), Catch::Contains("is outside"));
  CHECK_THAT(error_of([&] { r.frame_at(-0.1); }), Catch::Contains("is outside"));
  CHECK(close_colour(r.frame_at(1.99), kColours[1]));
}

/* -- B-frames and other containers ------------------------------------------ */

// Checks the colour on each side of every cut of a video made by make_video().
void check_cuts(const fs::path& p, const Made& m, int num, int den) {
  const double frame = double(den) / num;
  media::VideoReader walker(p);
  std::int64_t cut = 0;
  for (size_t i = 0; i < m.counts.size(); ++i) {
    CAPTURE(p.filename().string(), i, cut);
    if (cut > 0) {
      cv::Mat before = media::VideoReader(p).frame_at((cut - 0.5) * frame);
      INFO("before the cut: " << colour_text(before));
      CHECK(close_colour(before, kColours[(i - 1) % kColours.size()]));
      CHECK(close_colour(walker.frame_at((cut - 1) * frame), kColours[(i - 1) % kColours.size()]));
    }
    cv::Mat at = media::VideoReader(p).frame_at(cut * frame);
    INFO("at the cut: " << colour_text(at));
    CHECK(close_colour(at, kColours[i % kColours.size()]));
    CHECK(close_colour(walker.frame_at(cut * frame), kColours[i % kColours.size()]));
    cut += m.counts[i];
  }
}

TEST_CASE("video reader: exact with B-frames, in mp4, and in mkv / mpeg-ts remuxed by the ffmpeg CLI", "[video]") {
  TempDir tmp;
  const std::vector<double> durations = {0.5, 1.0 / 3.0, 2.25, 0.3, 0.25, 0.5};
  Made m = make_video(tmp / "b.mp4", durations, 24000, 1001, 160, 120, "veryfast");
  media::VideoInfo info = media::probe(tmp / "b.mp4");
  CHECK(info.frames == m.result.frames);
  check_cuts(tmp / "b.mp4", m, 24000, 1001);
  if (!have_cli("ffmpeg")) {
    WARN("ffmpeg not installed; skipping the mkv / mpeg-ts remuxes");
    return;
  }
  for (const char* ext : {"mkv", "ts"}) {
    fs::path out = tmp / (std::string("b.") + ext);
    REQUIRE(std::system(("ffmpeg -v error -y -i '" + (tmp / "b.mp4").string() + "' -c copy '" + out.string() + "'")
                            .c_str()) == 0);
    info = media::probe(out);
    CAPTURE(ext);
    CHECK(info.fps_num == 24000);
    CHECK(info.fps_den == 1001);
    CHECK(info.frames == m.result.frames);  // estimated from duration * fps: still right
    CHECK(info.container == (std::string(ext) == "ts" ? std::string("mpegts") : std::string(ext)));
    check_cuts(out, m, 24000, 1001);
    media::VideoReader r(out, {}, media::ReaderOptions{1, true});
    cv::Mat th = r.thumbnail(0.1, 64);
    CHECK(th.cols == 64);
    CHECK(close_colour(th, kColours[0]));
  }
}

/* -- An independent reference -------------------------------------------- */

TEST_CASE("video encode: ffprobe -count_frames agrees on the frame count (when ffprobe is installed)", "[video]") {
  if (!have_cli("ffprobe")) {
    WARN("ffprobe not installed; skipping the independent cross-check");
    return;
  }
  TempDir tmp;
  Made m = make_video(tmp / "x.mp4", {0.4, 1.0 / 3.0, 0.7, 0.05}, 30000, 1001);
  std::string out = run("ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                        "stream=nb_read_frames,r_frame_rate,pix_fmt,codec_name -of default=nw=1 '" +
                        (tmp / "x.mp4").string() + "'");
  CHECK_THAT(out, Catch::Contains("nb_read_frames=" + std::to_string(m.result.frames)));
  CHECK_THAT(out, Catch::Contains("r_frame_rate=30000/1001"));
  CHECK_THAT(out, Catch::Contains("pix_fmt=yuv420p"));
  CHECK_THAT(out, Catch::Contains("codec_name=h264"));
}

/* -- The Lua face -------------------------------------------------------- */

TEST_CASE("moonreel.video: probe from Lua, and errors as Lua errors that name the problem", "[video]") {
  TempDir tmp;
  make_video(tmp / "v.mp4", {0.5}, 25, 1);
  runtime::LuaState lua;
  lua_State* L = lua.get();
  std::string src = "local video = require('moonreel.video')\n"
                    "local info = video.probe('" + (tmp / "v.mp4").string() + "')\n"
                    "assert(info.frames == 13 and info.fps_num == 25 and info.video_codec == 'h264', 'probe')\n"
                    "assert(#info.audio == 0)\n"
                    "local ok, err = pcall(video.probe, '" + (tmp / "none.mp4").string() + "')\n"
                    "assert(not ok and err:find('does not exist', 1, true), err)\n"
                    "ok, err = pcall(video.encode, 'x.mp4', {})\n"
                    "assert(not ok and err:find('frames is empty', 1, true), err)\n"
                    "local img = video.frame_at('" + (tmp / "v.mp4").string() + "', 0.1)\n"
                    "assert(type(img) == 'userdata')\n"
                    "return 'ok'";
  REQUIRE(luaL_loadstring(L, src.c_str()) == 0);
  int rc = lua_pcall(L, 0, 1, 0);
  INFO((lua_tostring(L, -1) ? lua_tostring(L, -1) : "?"));
  CHECK(rc == 0);
  lua_pop(L, 1);
}
