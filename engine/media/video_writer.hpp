// media/video_writer.hpp — encoding frames to H.264 in MP4 with exact frame timing, written atomically.
//
// Contract: a VideoWriter encodes with libx264 inside libavcodec (never the
// ffmpeg CLI) at a rational frame rate (24, 25, 30000/1001 ...). Frame k has
// the timestamp k in a time base of fps_den/fps_num, so a file of N frames
// lasts exactly N * fps_den / fps_num seconds and no rounding ever drifts.
// write_frame(image, repeat) shows one image for `repeat` frames; an image of
// another size is scaled to fit and centred on black (letterboxed). Output is
// yuv420p by default (BT.709, limited range, tagged as such), mp4 with
// faststart (the index before the data, so playback starts before download
// ends). The file appears at its path only when close() succeeds: it is
// written beside it under a temp name, fsynced and renamed; a writer destroyed
// without close() leaves nothing behind. An AAC track can be added before the
// first frame with add_audio(); the writer interleaves it as frames advance.
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "media/video_audio.hpp"

namespace mr::media {

struct WriterOptions {
  int width = 0, height = 0;  // required; even for yuv420p
  int fps_num = 24, fps_den = 1;
  int crf = 20;               // x264 quality, 0 (lossless) .. 51
  std::string preset = "veryfast";
  std::string pix_fmt = "yuv420p";
  bool faststart = true;      // movflags +faststart (mp4 / mov)
  double keyframe_s = 2.0;    // a keyframe at least this often: seeking decodes at most this much
};

// Scales `img` (8-bit gray, BGR or BGRA) to fit within w x h keeping its
// aspect ratio and centres it on black; BGR 8-bit out.
cv::Mat fit_frame(const cv::Mat& img, int w, int h);

class VideoWriter {
 public:
  VideoWriter();
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Validates the options and sets up the encoder; nothing is visible at `path` yet.
  void open(const std::filesystem::path& path, const WriterOptions& opts);
  // Adds an AAC track from `src` (window, fades in opts); before the first frame.
  void add_audio(AudioSource& src, const AudioEncodeOptions& opts);
  // Shows `bgr` for `repeat_count` frames (0 writes nothing).
  void write_frame(const cv::Mat& bgr, int repeat_count = 1);
  // The same for a decoded frame of any pixel format (no BGR round trip).
  void write_av_frame(const AVFrame* frame, int repeat_count = 1);
  // Flushes the encoder, finishes the audio, writes the index, publishes the file.
  void close();

  std::int64_t frames_written() const { return next_pts_; }
  double duration() const { return double(next_pts_) * opts_.fps_den / opts_.fps_num; }
  const WriterOptions& options() const { return opts_; }

 private:
  void start();  // writes the header once every stream exists
  void encode_current(int repeat_count);
  void drain(const AVFrame* f);

  WriterOptions opts_;
  std::unique_ptr<TempOutput> temp_;
  OutputFormatPtr out_;
  CodecContextPtr enc_;
  AVStream* stream_ = nullptr;
  FramePtr frame_;
  PacketPtr pkt_;
  SwsPtr sws_;
  std::unique_ptr<AudioEncoder> audio_;
  AudioSource* audio_src_ = nullptr;
  std::int64_t next_pts_ = 0;
  bool started_ = false, closed_ = false;
};

}  // namespace mr::media
