// media/video_av.hpp — owning handles for the FFmpeg objects the video primitive uses, and its shared helpers.
//
// Contract: every AVFormatContext, AVCodecContext, AVFrame, AVPacket,
// SwsContext, SwrContext and AVAudioFifo the video code touches lives in one of
// the unique_ptr types below, so an exception at any point frees everything.
// check() turns a negative FFmpeg return code into a VideoError carrying
// FFmpeg's own text. TempOutput is the atomic-write discipline of the artifact
// store (temp file, fsync, rename, fsync of the folder) for files that
// libavformat writes itself: the mp4 muxer's faststart pass reopens its output
// by name, so the bytes cannot go through store::write_atomic. Internal to
// engine/media; the public surface is video_reader.hpp, video_writer.hpp and
// video_edit.hpp.
#pragma once
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace mr::media {

// Every failure of the video primitive; the message is meant for the user
// ("video: clip.mp4 has no video stream").
struct VideoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a file must stay within to be opened at all (checked before decoding).
struct Limits {
  double max_duration_s = 3600;                          // media.max_duration_s
  std::uintmax_t max_bytes = 4ull * 1024 * 1024 * 1024;  // largest file opened
  int max_side = 16384;                                  // widest / tallest frame accepted
};

/* -- Owning handles ------------------------------------------------------ */

struct InputFormatDeleter {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
// An output context owns its AVIOContext only once avio_open() succeeded.
struct OutputFormatDeleter {
  void operator()(AVFormatContext* c) const {
    if (c->pb && !(c->oformat->flags & AVFMT_NOFILE)) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct SwrDeleter {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
struct AudioFifoDeleter {
  void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); }
};

using InputFormatPtr = std::unique_ptr<AVFormatContext, InputFormatDeleter>;
using OutputFormatPtr = std::unique_ptr<AVFormatContext, OutputFormatDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;
using AudioFifoPtr = std::unique_ptr<AVAudioFifo, AudioFifoDeleter>;

FramePtr make_frame();
PacketPtr make_packet();

/* -- Errors -------------------------------------------------------------- */

std::string av_error_text(int code);
// Throws VideoError("video: <what>: <FFmpeg's text>") when rc < 0; returns rc.
int check(int rc, const std::string& what);

// The name used in messages: the path as the caller gave it.
std::string display_name(const std::filesystem::path& p);

/* -- Opening ------------------------------------------------------------ */

// Checks that `path` exists, is a non-empty regular file within max_bytes, that
// libavformat recognises it and that its declared duration is within
// max_duration_s; then reads its stream info (avformat_find_stream_info, which
// decodes a few frames). `size` receives the file size. With analyse = false,
// mp4 / mov files skip that analysis — their header already holds what
// reading needs, except the pixel format — and `analysed` says which happened.
InputFormatPtr open_media(const std::filesystem::path& path, const Limits& limits, std::uintmax_t& size,
                          bool analyse = true, bool* analysed = nullptr);
// The analysis open_media() skipped.
void analyse_streams(AVFormatContext* fmt, const std::filesystem::path& path);
// Throws when d is over limits.max_duration_s.
void check_duration(const std::filesystem::path& path, double d, const Limits& limits);
// Seconds of a stream (the container's when the stream does not say); 0 when unknown.
double stream_duration(const AVFormatContext* fmt, const AVStream* st);
std::string seconds_text(double s);

/* -- Pixels ------------------------------------------------------------- */

// The swscale coefficient set (SWS_CS_*) a frame is tagged with; BT.601 when untagged.
int sws_colorspace(const AVFrame* f);
// The deprecated full-range "J" formats are their plain twins with a range
// flag: returns the plain format and sets full_range for them.
AVPixelFormat plain_pix_fmt(AVPixelFormat f, bool& full_range);

/* -- Atomic output ------------------------------------------------------- */

// A temp file beside `final_path`; commit() fsyncs it and renames it into
// place, the destructor removes it when commit() never ran.
class TempOutput {
 public:
  explicit TempOutput(std::filesystem::path final_path);
  ~TempOutput();
  TempOutput(const TempOutput&) = delete;
  TempOutput& operator=(const TempOutput&) = delete;

  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }
  void commit();

 private:
  std::filesystem::path final_, temp_;
  bool committed_ = false;
};

// A muxer for `final_path`'s extension (mp4 when it has none or an unknown one)
// writing to `temp_path`, its AVIOContext already open.
OutputFormatPtr open_output(const std::filesystem::path& final_path, const std::filesystem::path& temp_path);

}  // namespace mr::media
