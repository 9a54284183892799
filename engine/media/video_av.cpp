// media/video_av.cpp — FFmpeg error text, FFmpeg's log routed into ours, and atomic output files.
#include "media/video_av.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <string_view>

#include "log/log.hpp"

namespace fs = std::filesystem;

namespace mr::media {

namespace {

// FFmpeg prints to stderr by default; a corrupt upload would fill the server's
// terminal. Its warnings and errors go to our log at debug level instead: a bad
// input is the caller's error, reported through VideoError.
void av_log_to_ours(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > AV_LOG_WARNING || !log::enabled(log::Level::Debug)) return;
  thread_local int print_prefix = 1;
  char line[1024];
  av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &print_prefix);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (!text.empty()) log::debug("ffmpeg: " + text);
}

void install_log_once() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(av_log_to_ours); });
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s(8, 'x');
  for (auto& c : s) c = digits[rng() % 36];
  return s;
}

}  // namespace

FramePtr make_frame() {
  install_log_once();
  FramePtr f(av_frame_alloc());
  if (!f) throw VideoError("video: out of memory (frame)");
  return f;
}

PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  if (!p) throw VideoError("video: out of memory (packet)");
  return p;
}

std::string av_error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

int check(int rc, const std::string& what) {
  if (rc < 0) throw VideoError("video: " + what + ": " + av_error_text(rc));
  return rc;
}

std::string display_name(const fs::path& p) { return p.string(); }

std::string seconds_text(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

/* -- Opening ------------------------------------------------------------- */

void check_duration(const fs::path& path, double d, const Limits& limits) {
  if (d > limits.max_duration_s)
    throw VideoError("video: " + display_name(path) + " lasts " + seconds_text(d) + ", longer than the limit of " +
                     seconds_text(limits.max_duration_s));
}

double stream_duration(const AVFormatContext* fmt, const AVStream* st) {
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) return st->duration * av_q2d(st->time_base);
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) return fmt->duration / double(AV_TIME_BASE);
  return 0;
}

void analyse_streams(AVFormatContext* fmt, const fs::path& path) {
  int rc = avformat_find_stream_info(fmt, nullptr);
  if (rc < 0)
    throw VideoError("video: " + display_name(path) + " is corrupt: cannot read its streams (" + av_error_text(rc) +
                     ")");
}

InputFormatPtr open_media(const fs::path& path, const Limits& limits, std::uintmax_t& size, bool analyse,
                          bool* analysed) {
  install_log_once();
  const std::string name = display_name(path);
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw VideoError("video: " + name + " does not exist");
  if (!fs::is_regular_file(status)) throw VideoError("video: " + name + " is not a regular file");
  size = fs::file_size(path, ec);
  if (ec) throw VideoError("video: cannot read the size of " + name + ": " + ec.message());
  if (size == 0) throw VideoError("video: " + name + " is empty");
  if (size > limits.max_bytes)
    throw VideoError("video: " + name + " is " + std::to_string(size) + " bytes, over the limit of " +
                     std::to_string(limits.max_bytes));

  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc < 0)
    throw VideoError("video: " + name + " is not a media file or is corrupt (" + av_error_text(rc) + ")");
  InputFormatPtr fmt(raw);
  // Headers alone usually give the duration: refuse before reading any further.
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
    check_duration(path, fmt->duration / double(AV_TIME_BASE), limits);
  if (!analyse && std::string_view(fmt->iformat->name).starts_with("mov,")) {
    if (analysed) *analysed = false;
    return fmt;
  }
  analyse_streams(fmt.get(), path);
  if (analysed) *analysed = true;
  return fmt;
}

/* -- Pixels ------------------------------------------------------------- */

int sws_colorspace(const AVFrame* f) {
  switch (f->colorspace) {
    case AVCOL_SPC_BT709:
      return SWS_CS_ITU709;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
      return SWS_CS_BT2020;
    case AVCOL_SPC_SMPTE240M:
      return SWS_CS_SMPTE240M;
    default:
      return SWS_CS_DEFAULT;  // BT.601, as FFmpeg assumes for untagged video
  }
}

AVPixelFormat plain_pix_fmt(AVPixelFormat f, bool& full_range) {
  switch (f) {
    case AV_PIX_FMT_YUVJ420P:
      full_range = true;
      return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
      full_range = true;
      return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
      full_range = true;
      return AV_PIX_FMT_YUV444P;
    default:
      return f;
  }
}

/* -- TempOutput ---------------------------------------------------------- */

TempOutput::TempOutput(fs::path final_path) : final_(std::move(final_path)) {
  install_log_once();
  if (final_.empty()) throw VideoError("video: the output path is empty");
  fs::path dir = final_.parent_path();
  std::error_code ec;
  if (!dir.empty() && !fs::is_directory(dir, ec))
    throw VideoError("video: the output folder " + dir.string() + " does not exist");
  // Keeps the extension: libavformat picks the muxer from it.
  temp_ = dir / ("." + final_.stem().string() + ".tmp-" + random_suffix() + final_.extension().string());
}

TempOutput::~TempOutput() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void TempOutput::commit() {
  int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw VideoError("video: cannot reopen " + temp_.string() + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw VideoError("video: cannot flush " + final_.string() + ": " + std::strerror(errno));
  if (::rename(temp_.c_str(), final_.c_str()) != 0)
    throw VideoError("video: cannot rename into " + final_.string() + ": " + std::strerror(errno));
  committed_ = true;
  fsync_dir(final_.parent_path());
}

OutputFormatPtr open_output(const fs::path& final_path, const fs::path& temp_path) {
  install_log_once();
  const AVOutputFormat* ofmt = av_guess_format(nullptr, final_path.c_str(), nullptr);
  if (!ofmt) ofmt = av_guess_format("mp4", nullptr, nullptr);
  AVFormatContext* raw = nullptr;
  check(avformat_alloc_output_context2(&raw, ofmt, nullptr, temp_path.c_str()), "cannot set up the muxer");
  OutputFormatPtr out(raw);
  if (!(out->oformat->flags & AVFMT_NOFILE))
    check(avio_open(&out->pb, temp_path.c_str(), AVIO_FLAG_WRITE), "cannot create " + final_path.string());
  return out;
}

}  // namespace mr::media
