// media/video_audio.cpp — AudioSource (demux + decode) and AudioEncoder (resample, window, fade, AAC).
#include "media/video_audio.hpp"

extern "C" {
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cmath>
#include <limits>

namespace fs = std::filesystem;

namespace mr::media {

/* -- AudioSource --------------------------------------------------------- */

AudioSource::AudioSource(const fs::path& path, const Limits& limits) : path_(path) {
  std::uintmax_t size = 0;
  fmt_ = open_media(path, limits, size);
  stream_ = av_find_best_stream(fmt_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (stream_ < 0) throw VideoError("video: " + display_name(path) + " has no audio stream");
  AVStream* st = fmt_->streams[stream_];
  for (unsigned i = 0; i < fmt_->nb_streams; ++i)
    if (static_cast<int>(i) != stream_) fmt_->streams[i]->discard = AVDISCARD_ALL;
  duration_ = stream_duration(fmt_.get(), st);
  check_duration(path, duration_, limits);
  tb_ = st->time_base;
  start_ts_ = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;

  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec)
    throw VideoError("video: " + display_name(path) + " uses the audio codec " +
                     avcodec_get_name(st->codecpar->codec_id) + ", which this build cannot decode");
  dec_.reset(avcodec_alloc_context3(codec));
  if (!dec_) throw VideoError("video: out of memory (audio decoder)");
  check(avcodec_parameters_to_context(dec_.get(), st->codecpar), "cannot set up the audio decoder");
  dec_->pkt_timebase = tb_;
  check(avcodec_open2(dec_.get(), codec, nullptr), "cannot open the audio decoder");
  if (dec_->sample_rate <= 0 || dec_->ch_layout.nb_channels <= 0)
    throw VideoError("video: " + display_name(path) + " is corrupt: its audio has no sample rate or channels");
  pkt_ = make_packet();
  frame_ = make_frame();
}

void AudioSource::seek(double t) {
  std::int64_t ts = start_ts_ + std::llround(t / av_q2d(tb_));
  if (av_seek_frame(fmt_.get(), stream_, ts, AVSEEK_FLAG_BACKWARD) < 0)
    check(av_seek_frame(fmt_.get(), stream_, start_ts_, AVSEEK_FLAG_BACKWARD), "cannot seek in " + path_.string());
  avcodec_flush_buffers(dec_.get());
  flushing_ = false;
}

const AVFrame* AudioSource::next() {
  int bad_packets = 0;
  for (;;) {
    av_frame_unref(frame_.get());
    int rc = avcodec_receive_frame(dec_.get(), frame_.get());
    if (rc == 0) return frame_.get();
    if (rc == AVERROR_EOF) return nullptr;
    if (rc != AVERROR(EAGAIN)) check(rc, display_name(path_) + " is corrupt: audio decoding failed");
    if (flushing_) return nullptr;
    rc = av_read_frame(fmt_.get(), pkt_.get());
    if (rc == AVERROR_EOF) {
      flushing_ = true;
      check(avcodec_send_packet(dec_.get(), nullptr), "cannot drain the audio decoder");
      continue;
    }
    if (rc < 0)
      throw VideoError("video: " + display_name(path_) + " is corrupt or truncated: " + av_error_text(rc));
    if (pkt_->stream_index == stream_) {
      rc = avcodec_send_packet(dec_.get(), pkt_.get());
      if (rc == AVERROR_INVALIDDATA && ++bad_packets < 16) rc = 0;
      if (rc < 0 && rc != AVERROR(EAGAIN)) check(rc, display_name(path_) + " is corrupt: audio decoding failed");
    }
    av_packet_unref(pkt_.get());
  }
}

double AudioSource::time_of(const AVFrame* f) const {
  std::int64_t ts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
  if (ts == AV_NOPTS_VALUE) return -1;
  return (ts - start_ts_) * av_q2d(tb_);
}

/* -- AudioEncoder -------------------------------------------------------- */

AudioEncoder::AudioEncoder(AVFormatContext* out, const AudioSource& src, const AudioEncodeOptions& opts)
    : out_(out), opts_(opts) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (!codec) throw VideoError("video: this build has no AAC encoder");
  const AVCodecContext* in = src.decoder();
  rate_ = 48000;
  for (const int* r = codec->supported_samplerates; r && *r; ++r)
    if (*r == in->sample_rate) rate_ = in->sample_rate;
  enc_.reset(avcodec_alloc_context3(codec));
  if (!enc_) throw VideoError("video: out of memory (audio encoder)");
  // Mono stays mono; anything wider becomes stereo (libswresample downmixes).
  av_channel_layout_default(&enc_->ch_layout, in->ch_layout.nb_channels == 1 ? 1 : 2);
  const AVChannelLayout& layout = enc_->ch_layout;
  enc_->sample_fmt = AV_SAMPLE_FMT_FLTP;
  enc_->sample_rate = rate_;
  enc_->bit_rate = opts.bit_rate > 0 ? opts.bit_rate : (layout.nb_channels == 1 ? 96000 : 160000);
  enc_->time_base = AVRational{1, rate_};
  if (out_->oformat->flags & AVFMT_GLOBALHEADER) enc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  check(avcodec_open2(enc_.get(), codec, nullptr), "cannot open the AAC encoder");

  stream_ = avformat_new_stream(out_, nullptr);
  if (!stream_) throw VideoError("video: out of memory (audio stream)");
  check(avcodec_parameters_from_context(stream_->codecpar, enc_.get()), "cannot describe the audio stream");
  stream_->time_base = enc_->time_base;

  fifo_.reset(av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, layout.nb_channels, 4 * std::max(enc_->frame_size, 1024)));
  if (!fifo_) throw VideoError("video: out of memory (audio buffer)");
  conv_ = make_frame();
  chunk_ = make_frame();
  pkt_ = make_packet();
  int frame_size = enc_->frame_size > 0 ? enc_->frame_size : 1024;
  chunk_->format = AV_SAMPLE_FMT_FLTP;
  check(av_channel_layout_copy(&chunk_->ch_layout, &enc_->ch_layout), "cannot set the channel layout");
  chunk_->sample_rate = rate_;
  chunk_->nb_samples = frame_size;
  check(av_frame_get_buffer(chunk_.get(), 0), "cannot allocate an audio frame");

  start_ = std::llround(std::max(0.0, opts.start_s) * rate_);
  end_ = std::llround(opts.end_s * rate_);
  if (end_ <= start_) done_ = true;
}

AudioEncoder::~AudioEncoder() = default;

void AudioEncoder::push(const AVFrame* f, double t) {
  if (!swr_) {
    AVChannelLayout in_layout{};
    if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
      av_channel_layout_default(&in_layout, f->ch_layout.nb_channels);
    else
      check(av_channel_layout_copy(&in_layout, &f->ch_layout), "cannot read the channel layout");
    SwrContext* raw = nullptr;
    int rc = swr_alloc_set_opts2(&raw, &enc_->ch_layout, AV_SAMPLE_FMT_FLTP, rate_, &in_layout,
                                 static_cast<AVSampleFormat>(f->format), f->sample_rate, 0, nullptr);
    av_channel_layout_uninit(&in_layout);
    swr_.reset(raw);
    check(rc, "cannot set up audio conversion");
    check(swr_init(swr_.get()), "cannot set up audio conversion");
    if (pos_ < 0) pos_ = std::llround(std::max(0.0, t) * rate_);
  }
  int capacity = swr_get_out_samples(swr_.get(), f ? f->nb_samples : 0);
  if (capacity <= 0) return;
  if (conv_->nb_samples < capacity || !conv_->data[0]) {
    av_frame_unref(conv_.get());
    conv_->format = AV_SAMPLE_FMT_FLTP;
    check(av_channel_layout_copy(&conv_->ch_layout, &enc_->ch_layout), "cannot set the channel layout");
    conv_->sample_rate = rate_;
    conv_->nb_samples = capacity;
    check(av_frame_get_buffer(conv_.get(), 0), "cannot allocate an audio buffer");
  }
  int n = swr_convert(swr_.get(), conv_->data, capacity, f ? const_cast<const uint8_t**>(f->extended_data) : nullptr,
                      f ? f->nb_samples : 0);
  check(n, "audio conversion failed");
  append(reinterpret_cast<float* const*>(conv_->data), n);
}

void AudioEncoder::append(float* const* planes, int n) {
  std::int64_t from = std::max(pos_, start_), to = std::min(pos_ + n, end_);
  if (to > from) {
    int skip = static_cast<int>(from - pos_), keep = static_cast<int>(to - from);
    int channels = enc_->ch_layout.nb_channels;
    double fade_in = opts_.fade_in_s * rate_, fade_out = opts_.fade_out_s * rate_;
    if (fade_in >= 1 || fade_out >= 1) {
      for (int i = 0; i < keep; ++i) {
        std::int64_t g = from + i;
        double gain = 1;
        if (fade_in >= 1) gain *= std::clamp((g - start_) / fade_in, 0.0, 1.0);
        if (fade_out >= 1) gain *= std::clamp((end_ - 1 - g) / fade_out, 0.0, 1.0);
        for (int c = 0; c < channels; ++c) planes[c][skip + i] *= static_cast<float>(gain);
      }
    }
    void* ptrs[AV_NUM_DATA_POINTERS];
    for (int c = 0; c < channels; ++c) ptrs[c] = planes[c] + skip;
    if (av_audio_fifo_write(fifo_.get(), ptrs, keep) < keep) throw VideoError("video: out of memory (audio buffer)");
    out_samples_ += keep;
  }
  pos_ += n;
  if (pos_ >= end_) done_ = true;
  encode_fifo(false);
}

void AudioEncoder::encode_fifo(bool final) {
  const int frame_size = enc_->frame_size > 0 ? enc_->frame_size : 1024;
  const bool small_last = enc_->codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME;
  for (;;) {
    int have = av_audio_fifo_size(fifo_.get());
    if (have == 0 || (have < frame_size && !final)) return;
    int n = std::min(have, frame_size);
    chunk_->nb_samples = frame_size;
    check(av_frame_make_writable(chunk_.get()), "cannot reuse an audio frame");
    if (av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(chunk_->data), n) < n)
      throw VideoError("video: audio buffer underrun");
    if (n < frame_size) {
      if (small_last) {
        chunk_->nb_samples = n;
      } else {
        for (int c = 0; c < enc_->ch_layout.nb_channels; ++c)
          std::fill_n(reinterpret_cast<float*>(chunk_->data[c]) + n, frame_size - n, 0.0f);
      }
    }
    chunk_->pts = next_pts_;
    next_pts_ += chunk_->nb_samples;
    write_packets(chunk_.get());
  }
}

void AudioEncoder::write_packets(const AVFrame* f) {
  check(avcodec_send_frame(enc_.get(), f), "AAC encoding failed");
  for (;;) {
    int rc = avcodec_receive_packet(enc_.get(), pkt_.get());
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
    check(rc, "AAC encoding failed");
    pkt_->stream_index = stream_->index;
    av_packet_rescale_ts(pkt_.get(), enc_->time_base, stream_->time_base);
    check(av_interleaved_write_frame(out_, pkt_.get()), "cannot write audio");
  }
}

void AudioEncoder::pump(AudioSource& src, double until_s) {
  while (!done_ && written_s() < until_s) {
    const AVFrame* f = src.next();
    if (!f) {
      done_ = true;
      break;
    }
    push(f, src.time_of(f));
  }
}

void AudioEncoder::finish(AudioSource& src) {
  if (finished_) return;
  pump(src, std::numeric_limits<double>::infinity());
  if (swr_ && pos_ < end_) push(nullptr, 0);  // what the resampler still holds
  encode_fifo(true);
  write_packets(nullptr);
  finished_ = true;
}

}  // namespace mr::media
