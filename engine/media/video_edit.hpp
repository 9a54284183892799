// media/video_edit.hpp — the video operations the Lua face offers, built on VideoReader / VideoWriter.
//
// Contract:
//   * encode_sequence: images shown for given durations or frame counts. A
//     duration becomes frames from CUMULATIVE time — an image ending at
//     c seconds ends at frame round(c * fps) — so a hundred 1/3-second stills
//     at 24 fps end exactly at frame 800, never drifting by a frame per cut.
//     An item given in frames moves the cumulative time to exactly its last
//     frame's end. The total duration is checked against the limit before
//     anything is encoded.
//   * add_audio: the video stream is copied packet for packet (never
//     re-encoded); the audio file's best stream is re-encoded to AAC, by
//     default replacing the video's audio and trimmed to its duration.
//   * trim: re-encodes [start_s, end_s) frame-exactly at the input's rate:
//     output frame k is the input frame on screen at start_s + k / fps, and
//     there are round((end_s - start_s) * fps) of them; the first audio
//     stream, if any, is re-encoded over the same window.
// Every output is written atomically (temp file, fsync, rename).
#pragma once
#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "media/video_reader.hpp"
#include "media/video_writer.hpp"

namespace mr::media {

struct SequenceItem {
  cv::Mat image;
  double duration = -1;     // seconds; used when frames < 0
  std::int64_t frames = -1;
};

struct EncodeResult {
  std::int64_t frames = 0;
  double duration = 0;
  std::string path;
};

// Frames each item lasts at fps_num / fps_den (see the contract).
std::vector<std::int64_t> frame_counts(const std::vector<SequenceItem>& items, int fps_num, int fps_den);

EncodeResult encode_sequence(const std::filesystem::path& out, const std::vector<SequenceItem>& items,
                             const WriterOptions& opts, const Limits& limits = {});

struct AddAudioOptions {
  bool replace = true;     // drop the video's own audio streams
  bool trim = true;        // end the audio at the video's end
  double fade_in_s = 0;
  double fade_out_s = 0;   // at the end of the (trimmed) audio
  bool faststart = true;
};

// Returns the probe of the written file.
VideoInfo add_audio(const std::filesystem::path& video, const std::filesystem::path& audio,
                    const std::filesystem::path& out, const AddAudioOptions& opts = {}, const Limits& limits = {});

struct TrimOptions {
  int crf = 18;
  std::string preset = "veryfast";
  bool audio = true;       // keep (re-encode) the first audio stream
};

EncodeResult trim(const std::filesystem::path& in, const std::filesystem::path& out, double start_s, double end_s,
                  const TrimOptions& opts = {}, const Limits& limits = {});

}  // namespace mr::media
