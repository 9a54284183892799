// media/video_audio.hpp — audio for the video primitive: decoding any audio file, encoding AAC into a muxer.
//
// Contract: an AudioSource decodes the best audio stream of a file (WAV, MP3,
// AAC, the audio of a video ...), opened under the same Limits as videos; a
// file without audio is a VideoError "has no audio stream". An AudioEncoder
// adds an AAC stream to an output AVFormatContext (before its header is
// written) and encodes a window [start_s, end_s) of a source's timeline,
// converted with libswresample to float planar at the source's rate (when AAC
// allows it, else 48 kHz) in mono or stereo (more channels are downmixed),
// with optional linear fades at both ends of the window. Output timestamps
// start at 0. Packets go through av_interleaved_write_frame, so the caller
// interleaves by calling pump() as its video advances.
#pragma once
#include <filesystem>

#include "media/video_av.hpp"

namespace mr::media {

class AudioSource {
 public:
  AudioSource(const std::filesystem::path& path, const Limits& limits);
  AudioSource(const AudioSource&) = delete;
  AudioSource& operator=(const AudioSource&) = delete;

  double duration() const { return duration_; }
  const AVCodecContext* decoder() const { return dec_.get(); }

  // Positions the source so that next() returns audio from about t on
  // (earlier samples may come first: the encoder's window drops them).
  void seek(double t);
  // The next decoded frame, valid until the next call; nullptr at the end.
  const AVFrame* next();
  // Seconds from the start of the stream of a frame next() returned.
  double time_of(const AVFrame* f) const;

 private:
  std::filesystem::path path_;
  InputFormatPtr fmt_;
  CodecContextPtr dec_;
  int stream_ = -1;
  AVRational tb_{1, 1};
  std::int64_t start_ts_ = 0;
  double duration_ = 0;
  PacketPtr pkt_;
  FramePtr frame_;
  bool flushing_ = false;
};

struct AudioEncodeOptions {
  double start_s = 0;      // window on the source's timeline
  double end_s = 0;        // exclusive; required (the source's duration when not trimming)
  double fade_in_s = 0;    // linear, from the window's start
  double fade_out_s = 0;   // linear, to the window's end
  std::int64_t bit_rate = 0;  // 0 = 96 kb/s mono, 160 kb/s stereo
};

class AudioEncoder {
 public:
  // Adds the AAC stream to `out`; call before avformat_write_header.
  AudioEncoder(AVFormatContext* out, const AudioSource& src, const AudioEncodeOptions& opts);
  ~AudioEncoder();
  AudioEncoder(const AudioEncoder&) = delete;
  AudioEncoder& operator=(const AudioEncoder&) = delete;

  // Decodes from `src` until `until_s` seconds of output are encoded (or the
  // window or the source ends).
  void pump(AudioSource& src, double until_s);
  // Everything left: the rest of the window, then the encoder's own delay.
  void finish(AudioSource& src);
  // Seconds of output accepted so far.
  double written_s() const { return double(out_samples_) / rate_; }

 private:
  void push(const AVFrame* f, double t);
  void append(float* const* planes, int n);
  void encode_fifo(bool final);
  void write_packets(const AVFrame* f);

  AVFormatContext* out_;
  AVStream* stream_ = nullptr;
  CodecContextPtr enc_;
  SwrPtr swr_;
  AudioFifoPtr fifo_;
  FramePtr conv_, chunk_;
  PacketPtr pkt_;
  AudioEncodeOptions opts_;
  int rate_ = 48000;
  std::int64_t pos_ = -1;          // next resampled sample's index on the source timeline (output rate)
  std::int64_t start_ = 0, end_ = 0;  // the window, in output samples
  std::int64_t out_samples_ = 0;   // samples accepted into the output
  std::int64_t next_pts_ = 0;      // samples sent to the encoder
  bool done_ = false, finished_ = false;
};

}  // namespace mr::media
