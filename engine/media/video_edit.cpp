// media/video_edit.cpp — encode a sequence of images, add or replace audio by remuxing, trim frame-exactly.
#include "media/video_edit.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>

namespace fs = std::filesystem;

namespace mr::media {

namespace {

std::string item_name(size_t i) { return "video: item " + std::to_string(i + 1) + " of the sequence"; }

}  // namespace

/* -- Sequences ----------------------------------------------------------- */

std::vector<std::int64_t> frame_counts(const std::vector<SequenceItem>& items, int fps_num, int fps_den) {
  if (fps_num <= 0 || fps_den <= 0) throw VideoError("video: the frame rate must be positive (fps_num / fps_den)");
  const long double fps = static_cast<long double>(fps_num) / fps_den;
  std::vector<std::int64_t> counts;
  counts.reserve(items.size());
  std::int64_t pos = 0;   // frames so far
  long double cum = 0;    // seconds so far
  for (size_t i = 0; i < items.size(); ++i) {
    const SequenceItem& it = items[i];
    std::int64_t n = 0;
    if (it.frames >= 0) {
      n = it.frames;
      pos += n;
      cum = pos / fps;  // back onto the frame grid exactly
    } else {
      if (!std::isfinite(it.duration) || it.duration < 0)
        throw VideoError(item_name(i) + " needs a duration (seconds, >= 0) or a frame count");
      cum += it.duration;
      // Halves round up; the nudge keeps 0.3 + 0.3 + 0.3 s (0.8999… in binary) at 25 fps a half.
      std::int64_t end = static_cast<std::int64_t>(std::floor(cum * fps + 0.5L + 1e-6L));
      n = std::max<std::int64_t>(0, end - pos);
      pos += n;
    }
    counts.push_back(n);
  }
  return counts;
}

EncodeResult encode_sequence(const fs::path& out, const std::vector<SequenceItem>& items, const WriterOptions& opts,
                             const Limits& limits) {
  if (items.empty()) throw VideoError("video: the sequence is empty");
  std::vector<std::int64_t> counts = frame_counts(items, opts.fps_num, opts.fps_den);
  std::int64_t total = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].image.empty()) throw VideoError(item_name(i) + " has no image");
    if (counts[i] > std::numeric_limits<int>::max()) throw VideoError(item_name(i) + " lasts too many frames");
    total += counts[i];
  }
  if (total == 0) throw VideoError("video: the sequence has no frames (every duration is shorter than a frame)");
  double duration = double(total) * opts.fps_den / opts.fps_num;
  if (duration > limits.max_duration_s)
    throw VideoError("video: the sequence lasts " + seconds_text(duration) + ", longer than the limit of " +
                     seconds_text(limits.max_duration_s));
  VideoWriter w;
  w.open(out, opts);
  for (size_t i = 0; i < items.size(); ++i) w.write_frame(items[i].image, static_cast<int>(counts[i]));
  w.close();
  return EncodeResult{w.frames_written(), w.duration(), out.string()};
}

/* -- Audio --------------------------------------------------------------- */

VideoInfo add_audio(const fs::path& video, const fs::path& audio, const fs::path& out, const AddAudioOptions& opts,
                    const Limits& limits) {
  VideoInfo vinfo;
  int vs = -1;
  InputFormatPtr in = open_video(video, limits, vinfo, vs);
  AudioSource src(audio, limits);

  TempOutput temp(out);
  OutputFormatPtr o = open_output(out, temp.temp_path());
  std::map<int, AVStream*> mapped;  // input stream index -> output stream
  for (unsigned i = 0; i < in->nb_streams; ++i) {
    AVStream* ist = in->streams[i];
    bool keep = static_cast<int>(i) == vs || (!opts.replace && ist->codecpar->codec_type == AVMEDIA_TYPE_AUDIO);
    if (!keep) {
      ist->discard = AVDISCARD_ALL;
      continue;
    }
    AVStream* ost = avformat_new_stream(o.get(), nullptr);
    if (!ost) throw VideoError("video: out of memory (stream)");
    check(avcodec_parameters_copy(ost->codecpar, ist->codecpar), "cannot copy a stream");
    ost->codecpar->codec_tag = 0;
    ost->time_base = ist->time_base;
    ost->avg_frame_rate = ist->avg_frame_rate;
    ost->r_frame_rate = ist->r_frame_rate;
    ost->disposition = ist->disposition;
    for (int k = 0; k < ist->nb_side_data; ++k) {
      const AVPacketSideData& sd = ist->side_data[k];
      uint8_t* dst = av_stream_new_side_data(ost, sd.type, sd.size);
      if (dst) std::memcpy(dst, sd.data, sd.size);
    }
    mapped[static_cast<int>(i)] = ost;
  }

  AudioEncodeOptions aopts;
  double audio_end = src.duration() > 0 ? src.duration() : limits.max_duration_s;
  aopts.end_s = opts.trim ? std::min(vinfo.duration, audio_end) : audio_end;
  aopts.fade_in_s = opts.fade_in_s;
  aopts.fade_out_s = opts.fade_out_s;
  AudioEncoder enc(o.get(), src, aopts);

  AVDictionary* mux_opts = nullptr;
  if (opts.faststart) av_dict_set(&mux_opts, "movflags", "+faststart", 0);
  int rc = avformat_write_header(o.get(), &mux_opts);
  av_dict_free(&mux_opts);
  check(rc, "cannot write the header of " + out.string());

  PacketPtr pkt = make_packet();
  for (;;) {
    rc = av_read_frame(in.get(), pkt.get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) throw VideoError("video: " + display_name(video) + " is corrupt or truncated: " + av_error_text(rc));
    auto m = mapped.find(pkt->stream_index);
    if (m == mapped.end()) {
      av_packet_unref(pkt.get());
      continue;
    }
    AVStream* ist = in->streams[pkt->stream_index];
    std::int64_t ts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
    if (ts != AV_NOPTS_VALUE) enc.pump(src, ts * av_q2d(ist->time_base));  // keeps the two interleaved
    av_packet_rescale_ts(pkt.get(), ist->time_base, m->second->time_base);
    pkt->stream_index = m->second->index;
    pkt->pos = -1;
    check(av_interleaved_write_frame(o.get(), pkt.get()), "cannot write " + out.string());
  }
  enc.finish(src);
  check(av_write_trailer(o.get()), "cannot finish " + out.string());
  check(avio_closep(&o->pb), "cannot close " + out.string());
  o.reset();
  temp.commit();
  return probe(out, limits);
}

/* -- Trim ---------------------------------------------------------------- */

EncodeResult trim(const fs::path& in, const fs::path& out, double start_s, double end_s, const TrimOptions& opts,
                  const Limits& limits) {
  VideoReader r(in, limits);
  const VideoInfo& info = r.info();
  if (info.fps_num <= 0) throw VideoError("video: " + display_name(in) + " has no frame rate to trim at");
  const double frame_s = double(info.fps_den) / info.fps_num;
  if (!(start_s >= 0) || !(end_s > start_s))
    throw VideoError("video: trim needs 0 <= start_s < end_s, got " + seconds_text(start_s) + " .. " +
                     seconds_text(end_s));
  if (start_s >= info.duration || end_s > info.duration + frame_s)
    throw VideoError("video: trim " + seconds_text(start_s) + " .. " + seconds_text(end_s) + " is outside " +
                     display_name(in) + " (duration " + seconds_text(info.duration) + ")");
  end_s = std::min(end_s, info.duration);
  const std::int64_t n = std::llround((end_s - start_s) / frame_s);
  if (n <= 0) throw VideoError("video: trim " + seconds_text(start_s) + " .. " + seconds_text(end_s) +
                               " is shorter than one frame");

  WriterOptions w_opts;
  w_opts.width = std::max(2, info.width & ~1);
  w_opts.height = std::max(2, info.height & ~1);
  w_opts.fps_num = info.fps_num;
  w_opts.fps_den = info.fps_den;
  w_opts.crf = opts.crf;
  w_opts.preset = opts.preset;
  VideoWriter w;
  w.open(out, w_opts);
  std::unique_ptr<AudioSource> audio;
  if (opts.audio && !info.audio.empty()) {
    audio = std::make_unique<AudioSource>(in, limits);
    audio->seek(start_s);
    AudioEncodeOptions a;
    a.start_s = start_s;
    a.end_s = start_s + n * frame_s;
    w.add_audio(*audio, a);
  }
  for (std::int64_t k = 0; k < n; ++k) {
    // k * den / num in integers first: frame k's time carries no accumulated error.
    double t = start_s + double(k * info.fps_den) / info.fps_num;
    w.write_av_frame(r.raw_frame_at(std::min(t, info.duration - frame_s / 2)), 1);
  }
  w.close();
  return EncodeResult{w.frames_written(), w.duration(), out.string()};
}

}  // namespace mr::media
