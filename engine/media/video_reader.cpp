// media/video_reader.cpp — opening with limits checked first, probing, accurate seeking and thumbnails.
#include "media/video_reader.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fs = std::filesystem;

namespace mr::media {

namespace {

/* -- Opening --------------------------------------------------------------- */

// The container's short name: libavformat calls every ISO-BMFF flavour
// "mov,mp4,m4a,3gp,3g2,mj2"; the major brand tells QuickTime from the rest.
std::string container_name(const AVFormatContext* fmt) {
  std::string name = fmt->iformat->name;
  if (name.rfind("mov,", 0) == 0) {
    const AVDictionaryEntry* brand = av_dict_get(fmt->metadata, "major_brand", nullptr, 0);
    if (brand && std::string(brand->value).rfind("qt", 0) == 0) return "mov";
    return "mp4";
  }
  if (name.rfind("matroska", 0) == 0) return "mkv";
  auto comma = name.find(',');
  return comma == std::string::npos ? name : name.substr(0, comma);
}

int pick_video_stream(AVFormatContext* fmt) {
  int best = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (best >= 0 && !(fmt->streams[best]->disposition & AV_DISPOSITION_ATTACHED_PIC)) return best;
  // Cover art in an audio file is a one-picture "video" stream, not a video.
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const AVStream* st = fmt->streams[i];
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
      return static_cast<int>(i);
  }
  return -1;
}

// For indexed containers: the end of the furthest sample the index names.
std::int64_t indexed_end(const AVFormatContext* fmt) {
  std::int64_t end = 0;
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    AVStream* st = fmt->streams[i];
    int n = avformat_index_get_entries_count(st);
    for (int k = 0; k < n; ++k) {
      const AVIndexEntry* e = avformat_index_get_entry(st, k);
      if (e && e->pos >= 0) end = std::max<std::int64_t>(end, e->pos + e->size);
    }
  }
  return end;
}

void fill_info(const AVFormatContext* fmt, int vs, VideoInfo& info) {
  const AVStream* st = fmt->streams[vs];
  const AVCodecParameters* par = st->codecpar;
  AVRational rate = st->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = st->r_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = AVRational{0, 1};
  av_reduce(&info.fps_num, &info.fps_den, rate.num, rate.den, INT32_MAX);
  info.fps = info.fps_den ? double(info.fps_num) / info.fps_den : 0;
  info.width = par->width;
  info.height = par->height;
  info.duration = stream_duration(fmt, st);
  if (st->nb_frames > 0) {
    info.frames = st->nb_frames;
    info.frames_exact = true;
  } else {
    info.frames = std::llround(info.duration * info.fps);
  }
  info.video_codec = avcodec_get_name(par->codec_id);
  const char* pf = av_get_pix_fmt_name(static_cast<AVPixelFormat>(par->format));
  info.pix_fmt = pf ? pf : "";
  info.container = container_name(fmt);
  info.bit_rate = fmt->bit_rate > 0 ? fmt->bit_rate : 0;
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const AVStream* a = fmt->streams[i];
    if (a->codecpar->codec_type != AVMEDIA_TYPE_AUDIO) continue;
    AudioStreamInfo ai;
    ai.codec = avcodec_get_name(a->codecpar->codec_id);
    ai.sample_rate = a->codecpar->sample_rate;
    ai.channels = a->codecpar->ch_layout.nb_channels;
    ai.duration = stream_duration(fmt, a);
    info.audio.push_back(ai);
  }
}

}  // namespace

InputFormatPtr open_video(const fs::path& path, const Limits& limits, VideoInfo& info, int& stream, bool analyse) {
  const std::string name = display_name(path);
  bool analysed = true;
  InputFormatPtr fmt = open_media(path, limits, info.size_bytes, analyse, &analysed);
  stream = pick_video_stream(fmt.get());
  if (!analysed) {
    const AVCodecParameters* par = stream >= 0 ? fmt->streams[stream]->codecpar : nullptr;
    if (!par || par->width <= 0 || par->height <= 0 || par->codec_id == AV_CODEC_ID_NONE) {
      analyse_streams(fmt.get(), path);  // the header was not enough after all
      stream = pick_video_stream(fmt.get());
    }
  }
  if (stream < 0) throw VideoError("video: " + name + " has no video stream");
  fill_info(fmt.get(), stream, info);
  check_duration(path, info.duration, limits);
  if (info.width <= 0 || info.height <= 0)
    throw VideoError("video: " + name + " is corrupt: its video stream has no frame size");
  if (info.width > limits.max_side || info.height > limits.max_side)
    throw VideoError("video: " + name + " is " + std::to_string(info.width) + "x" + std::to_string(info.height) +
                     ", larger than the limit of " + std::to_string(limits.max_side) + " pixels a side");
  std::int64_t end = indexed_end(fmt.get());
  if (end > static_cast<std::int64_t>(info.size_bytes))
    throw VideoError("video: " + name + " is truncated: its index needs " + std::to_string(end) +
                     " bytes, the file has " + std::to_string(info.size_bytes));
  return fmt;
}

VideoInfo probe(const fs::path& path, const Limits& limits) {
  VideoInfo info;
  int stream = -1;
  open_video(path, limits, info, stream);
  return info;
}

/* -- VideoReader --------------------------------------------------------- */

VideoReader::VideoReader(const fs::path& path, const Limits& limits, const ReaderOptions& opts) : path_(path) {
  fmt_ = open_video(path, limits, info_, stream_, !opts.quick);
  AVStream* st = fmt_->streams[stream_];
  tb_ = st->time_base;
  start_ts_ = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
  // Only the chosen stream is demuxed into packets we look at; the others are skipped cheaply.
  for (unsigned i = 0; i < fmt_->nb_streams; ++i)
    if (static_cast<int>(i) != stream_) fmt_->streams[i]->discard = AVDISCARD_ALL;

  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec)
    throw VideoError("video: " + display_name(path) + " uses the codec " + info_.video_codec +
                     ", which this build cannot decode");
  dec_.reset(avcodec_alloc_context3(codec));
  if (!dec_) throw VideoError("video: out of memory (decoder)");
  check(avcodec_parameters_to_context(dec_.get(), st->codecpar), "cannot set up the decoder");
  dec_->pkt_timebase = tb_;
  dec_->thread_count = opts.threads;
  dec_->thread_type = opts.threads == 1 ? 0 : FF_THREAD_SLICE | FF_THREAD_FRAME;
  check(avcodec_open2(dec_.get(), codec, nullptr), "cannot open the " + info_.video_codec + " decoder");
  if (info_.fps > 0 && 2 * av_q2d(tb_) < 1 / info_.fps) slack_ = 1;
  pkt_ = make_packet();
  current_ = make_frame();
  next_ = make_frame();
}

VideoReader::~VideoReader() = default;

double VideoReader::to_seconds(std::int64_t ts) const { return (ts - start_ts_) * av_q2d(tb_); }

std::int64_t VideoReader::to_ts(double seconds) const {
  return start_ts_ + std::llround(static_cast<long double>(seconds) * tb_.den / tb_.num);
}

void VideoReader::rewind() {
  // Streams without an index (mpeg-ts, mpeg-ps) seek by bisecting timestamps
  // and land anywhere; their first byte is the one sure start.
  if ((fmt_->iformat->flags & AVFMT_TS_DISCONT) && av_seek_frame(fmt_.get(), -1, 0, AVSEEK_FLAG_BYTE) >= 0) return;
  if (avformat_seek_file(fmt_.get(), stream_, INT64_MIN, start_ts_, start_ts_, 0) >= 0) return;
  check(av_seek_frame(fmt_.get(), stream_, start_ts_, AVSEEK_FLAG_BACKWARD), "cannot seek in " + path_.string());
}

void VideoReader::seek(std::int64_t target_ts) {
  from_start_ = target_ts <= start_ts_ ||
                (av_seek_frame(fmt_.get(), stream_, target_ts, AVSEEK_FLAG_BACKWARD) < 0 &&
                 avformat_seek_file(fmt_.get(), stream_, INT64_MIN, target_ts, target_ts, 0) < 0);
  if (from_start_) rewind();
  avcodec_flush_buffers(dec_.get());
  have_current_ = have_next_ = eof_ = flushing_ = false;
  need_key_ = !keyless_;
}

bool VideoReader::decode_next(AVFrame* out) {
  int bad_packets = 0, skipped = 0;
  for (;;) {
    av_frame_unref(out);
    int rc = avcodec_receive_frame(dec_.get(), out);
    if (rc == 0) {
      if (out->best_effort_timestamp == AV_NOPTS_VALUE) out->best_effort_timestamp = out->pts;
      return true;
    }
    if (rc == AVERROR_EOF) return false;
    if (rc != AVERROR(EAGAIN)) check(rc, display_name(path_) + " is corrupt: decoding failed");
    if (flushing_) return false;
    rc = av_read_frame(fmt_.get(), pkt_.get());
    if (rc == AVERROR_EOF) {
      // No keyframe flagged from the very start to the end: the container does
      // not flag them. From now on, decode whatever comes.
      if (need_key_ && skipped > 0 && from_start_) keyless_ = true;
      flushing_ = true;
      check(avcodec_send_packet(dec_.get(), nullptr), "cannot drain the decoder");
      continue;
    }
    if (rc < 0)
      throw VideoError("video: " + display_name(path_) + " is corrupt or truncated: " + av_error_text(rc));
    if (pkt_->stream_index == stream_ && need_key_ && !(pkt_->flags & AV_PKT_FLAG_KEY)) {
      ++skipped;  // decoding from here would only give broken frames until the next keyframe
    } else if (pkt_->stream_index == stream_) {
      need_key_ = false;
      rc = avcodec_send_packet(dec_.get(), pkt_.get());
      // A damaged packet costs one frame; a stream of them is a corrupt file.
      if (rc == AVERROR_INVALIDDATA && ++bad_packets < 16) rc = 0;
      if (rc < 0 && rc != AVERROR(EAGAIN))
        check(rc, display_name(path_) + " is corrupt: the decoder refused its data");
    }
    av_packet_unref(pkt_.get());
  }
}

const AVFrame* VideoReader::raw_frame_at(double t) {
  if (!(t >= 0) || t >= info_.duration)
    throw VideoError("video: t = " + seconds_text(t) + " is outside " + display_name(path_) + " (duration " +
                     seconds_text(info_.duration) + ")");
  const std::int64_t target = to_ts(t) + slack_;
  bool reuse = have_current_ && current_->best_effort_timestamp <= target;
  if (reuse) {
    // Decoding forward beats seeking unless a keyframe lies between here and t.
    AVStream* st = fmt_->streams[stream_];
    int k = av_index_search_timestamp(st, target, AVSEEK_FLAG_BACKWARD);
    const AVIndexEntry* key = k >= 0 ? avformat_index_get_entry(st, k) : nullptr;
    if (key ? key->timestamp > current_->best_effort_timestamp
            : to_seconds(target) - to_seconds(current_->best_effort_timestamp) > 2.0)
      reuse = false;
  }
  if (!reuse) {
    // A seek can land after t: containers index keyframes by decode time and
    // B-frames show a keyframe after it; timestamp bisection (mpeg-ts) lands
    // anywhere. Then step back further each time, finally to the start.
    static constexpr double kBack[] = {0, 1, 4, 16, 64};
    std::int64_t seek_to = target;
    bool retried = false;
    for (int attempt = 0;; ++attempt) {
      seek(seek_to);
      bool got = decode_next(current_.get());
      if (got && current_->best_effort_timestamp <= target) break;
      if (seek_to <= start_ts_) {
        if (!got && keyless_ && !retried) {
          retried = true;  // it just turned out that keyframes are not flagged
          continue;
        }
        if (!got)
          throw VideoError("video: cannot decode a frame of " + display_name(path_) + " near t = " +
                           seconds_text(t) + " (corrupt?)");
        break;  // t lies before the first frame: the first frame it is
      }
      std::int64_t from = got ? std::min(seek_to, current_->best_effort_timestamp) : seek_to;
      seek_to = attempt + 1 < int(std::size(kBack))
                    ? std::max<std::int64_t>(start_ts_, from - 1 - std::llround(kBack[attempt] / av_q2d(tb_)))
                    : start_ts_;
    }
    have_current_ = true;
  }
  for (;;) {
    if (!have_next_) have_next_ = decode_next(next_.get());
    if (!have_next_ || next_->best_effort_timestamp > target) break;
    std::swap(current_, next_);
    have_next_ = false;
  }
  current_pts_ = to_seconds(current_->best_effort_timestamp);
  return current_.get();
}

cv::Mat VideoReader::frame_at(double t) { return to_bgr(raw_frame_at(t)); }

cv::Mat VideoReader::thumbnail(double t, int max_side) {
  if (max_side < 1) throw VideoError("video: the thumbnail size must be at least 1 pixel");
  if (!(t >= 0) || t >= info_.duration) t = 0;
  seek(to_ts(t));
  // The packet the seek landed on is a keyframe: decode it alone, draining the
  // decoder at once instead of feeding it the frames its B-frame delay wants,
  // and without the deblocking filter, invisible at thumbnail size.
  bool got = false;
  int rc;
  while ((rc = av_read_frame(fmt_.get(), pkt_.get())) >= 0 && pkt_->stream_index != stream_) av_packet_unref(pkt_.get());
  if (rc >= 0 && (pkt_->flags & AV_PKT_FLAG_KEY)) {
    const AVDiscard loop_filter = dec_->skip_loop_filter;
    dec_->skip_loop_filter = AVDISCARD_ALL;
    if (avcodec_send_packet(dec_.get(), pkt_.get()) >= 0 && avcodec_send_packet(dec_.get(), nullptr) >= 0) {
      av_frame_unref(current_.get());
      got = avcodec_receive_frame(dec_.get(), current_.get()) == 0;
    }
    dec_->skip_loop_filter = loop_filter;
  }
  av_packet_unref(pkt_.get());
  if (!got) {  // not at a keyframe after all (containers without an index): the careful way
    raw_frame_at(t);
  } else if (current_->best_effort_timestamp == AV_NOPTS_VALUE) {
    current_->best_effort_timestamp = current_->pts;
  }
  // The decoder was drained: the next frame_at() must seek.
  have_current_ = have_next_ = false;
  current_pts_ = to_seconds(current_->best_effort_timestamp);
  int w = current_->width, h = current_->height;
  double scale = std::min(1.0, double(max_side) / std::max(w, h));
  return to_bgr(current_.get(), std::max(1, int(std::lround(w * scale))), std::max(1, int(std::lround(h * scale))));
}

cv::Mat VideoReader::to_bgr(const AVFrame* f, int w, int h) {
  if (w <= 0) w = f->width;
  if (h <= 0) h = f->height;
  bool full_range = f->color_range == AVCOL_RANGE_JPEG;
  AVPixelFormat src = plain_pix_fmt(static_cast<AVPixelFormat>(f->format), full_range);
  int flags = (w < f->width || h < f->height) ? SWS_AREA : SWS_BICUBIC;
  SwsContext* c = sws_getCachedContext(sws_.release(), f->width, f->height, src, w, h, AV_PIX_FMT_BGR24, flags,
                                       nullptr, nullptr, nullptr);
  sws_.reset(c);
  if (!c) throw VideoError("video: cannot convert " + info_.pix_fmt + " frames of " + display_name(path_));
  const int* coeffs = sws_getCoefficients(sws_colorspace(f));
  sws_setColorspaceDetails(c, coeffs, full_range ? 1 : 0, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16,
                           1 << 16);
  // swscale's SIMD converters write whole blocks of pixels, so a row may be
  // overrun by up to 64 bytes; spare rows after the image absorb the overrun of
  // the last row. The returned view of the first h rows is still continuous.
  const int slack_rows = 1 + 64 / (w * 3);
  cv::Mat buffer(h + slack_rows, w, CV_8UC3);
  uint8_t* dst[4] = {buffer.data, nullptr, nullptr, nullptr};
  int dst_stride[4] = {static_cast<int>(buffer.step[0]), 0, 0, 0};
  sws_scale(c, f->data, f->linesize, 0, f->height, dst, dst_stride);
  return buffer.rowRange(0, h);
}

}  // namespace mr::media
