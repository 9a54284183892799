// media/video_reader.hpp — reading videos in-process: probe, the frame on screen at a time, thumbnails.
//
// Contract: everything goes through libavformat / libavcodec / libswscale in
// this process; nothing spawns the ffmpeg CLI. Opening checks, in this order
// and before any decoder or frame is allocated: the file exists, is not empty,
// is within Limits::max_bytes; libavformat recognises it; it has a video
// stream; its duration is within Limits::max_duration_s; its frame size is
// sane; for indexed containers (mp4, mov) every sample the index names lies
// inside the file, so a truncated file fails at open with a clear message
// rather than later with a decoder error. Every failure is a VideoError whose
// message starts with "video: " and names the file as the caller gave it.
//
// Time: t is in seconds from the video stream's first frame. The frame "at t"
// is the one on screen at t: the last frame whose timestamp is <= t. A
// VideoReader is used by one thread at a time; it keeps its decoder between
// calls so walking t forward decodes each frame once.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "media/video_av.hpp"

namespace mr::media {

struct AudioStreamInfo {
  std::string codec;
  int sample_rate = 0;
  int channels = 0;
  double duration = 0;  // seconds; 0 when unknown
};

struct VideoInfo {
  double duration = 0;  // seconds, of the video stream (the container's when the stream has none)
  int fps_num = 0, fps_den = 1;
  double fps = 0;
  int width = 0, height = 0;
  std::int64_t frames = 0;    // exact when frames_exact, else duration * fps rounded
  bool frames_exact = false;  // the container counts its samples (mp4, mov, mkv with stats)
  std::string video_codec, pix_fmt, container;
  std::int64_t bit_rate = 0;  // bits per second of the whole file; 0 when unknown
  std::uintmax_t size_bytes = 0;
  std::vector<AudioStreamInfo> audio;
};

VideoInfo probe(const std::filesystem::path& path, const Limits& limits = {});

// open_media() plus the video checks of the contract; `stream` receives the
// index of the video stream. For code that reads packets itself (remuxing).
// analyse = false: see open_media (info.pix_fmt may then be empty).
InputFormatPtr open_video(const std::filesystem::path& path, const Limits& limits, VideoInfo& info, int& stream,
                          bool analyse = true);

struct ReaderOptions {
  int threads = 0;     // decoder threads, 0 = one per core; 1 is fastest for a frame or two
  bool quick = false;  // skip stream analysis when the header suffices (see open_media)
};

class VideoReader {
 public:
  VideoReader(const std::filesystem::path& path, const Limits& limits = {}, const ReaderOptions& opts = {});
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const { return info_; }

  // The frame on screen at t (0 <= t < duration), BGR 8-bit. Seeks to the
  // keyframe at or before t and decodes forward; a later t continues from the
  // current position without seeking when that is cheaper.
  cv::Mat frame_at(double t);
  // Timestamp in seconds of the frame frame_at() returned last.
  double last_pts() const { return current_pts_; }

  // Decodes the keyframe at or before t alone (not exact: the point of a
  // thumbnail is speed; a t outside the video means 0) and scales it with
  // swscale straight to fit within max_side x max_side, keeping the aspect
  // ratio, never enlarging.
  cv::Mat thumbnail(double t, int max_side);

  // The decoded frame at t, before conversion (valid until the next call).
  const AVFrame* raw_frame_at(double t);
  // Converts a decoded frame to BGR at (w, h) with swscale (0 = frame size).
  cv::Mat to_bgr(const AVFrame* frame, int w = 0, int h = 0);

 private:
  // Positions the demuxer at a keyframe at or before target_ts when the
  // container can; decoding then skips packets up to the next keyframe.
  void seek(std::int64_t target_ts);
  void rewind();
  // Next decoded frame into `out`; false at the end of the stream.
  bool decode_next(AVFrame* out);
  double to_seconds(std::int64_t ts) const;
  std::int64_t to_ts(double seconds) const;

  std::filesystem::path path_;
  VideoInfo info_;
  InputFormatPtr fmt_;
  CodecContextPtr dec_;
  int stream_ = -1;
  AVRational tb_{1, 1};
  std::int64_t start_ts_ = 0;
  std::int64_t slack_ = 0;  // ticks: containers with a coarse time base (mkv: 1 ms) round frame times
  bool need_key_ = false, keyless_ = false;  // keyless_: the container flags no keyframes at all
  bool from_start_ = false;                  // the last seek went to the start of the file
  PacketPtr pkt_;
  FramePtr current_, next_;  // the frame on screen, and the one decoded after it
  bool have_current_ = false, have_next_ = false, eof_ = false, flushing_ = false;
  double current_pts_ = 0;
  SwsPtr sws_;
};

}  // namespace mr::media
