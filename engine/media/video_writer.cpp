// media/video_writer.cpp — VideoWriter: libx264 at a rational rate, one tick per frame, faststart mp4.
#include "media/video_writer.hpp"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

namespace fs = std::filesystem;

namespace mr::media {

namespace {

constexpr std::array<const char*, 10> kPresets = {"ultrafast", "superfast", "veryfast", "faster", "fast",
                                                  "medium",    "slow",      "slower",   "veryslow", "placebo"};

const AVCodec* find_h264_encoder() {
  if (const AVCodec* c = avcodec_find_encoder_by_name("libx264")) return c;
  return avcodec_find_encoder(AV_CODEC_ID_H264);
}

bool is_mp4_family(const AVOutputFormat* f) {
  return std::strstr(f->name, "mp4") || std::strstr(f->name, "mov") || std::strstr(f->name, "ipod");
}

}  // namespace

cv::Mat fit_frame(const cv::Mat& img, int w, int h) {
  if (img.empty()) throw VideoError("video: an image to encode is empty");
  if (img.depth() != CV_8U) throw VideoError("video: images to encode must be 8-bit");
  cv::Mat bgr;
  switch (img.channels()) {
    case 1:
      cv::cvtColor(img, bgr, cv::COLOR_GRAY2BGR);
      break;
    case 3:
      bgr = img;
      break;
    case 4:
      cv::cvtColor(img, bgr, cv::COLOR_BGRA2BGR);
      break;
    default:
      throw VideoError("video: images to encode must have 1, 3 or 4 channels");
  }
  if (bgr.cols == w && bgr.rows == h) return bgr;
  double scale = std::min(double(w) / bgr.cols, double(h) / bgr.rows);
  int nw = std::clamp(int(std::lround(bgr.cols * scale)), 1, w);
  int nh = std::clamp(int(std::lround(bgr.rows * scale)), 1, h);
  cv::Mat canvas(h, w, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::resize(bgr, canvas(cv::Rect((w - nw) / 2, (h - nh) / 2, nw, nh)), cv::Size(nw, nh), 0, 0,
             scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return canvas;
}

VideoWriter::VideoWriter() = default;
VideoWriter::~VideoWriter() = default;

void VideoWriter::open(const fs::path& path, const WriterOptions& opts) {
  if (temp_) throw VideoError("video: this writer is already open");
  if (opts.fps_num <= 0 || opts.fps_den <= 0)
    throw VideoError("video: the frame rate must be positive (fps_num / fps_den)");
  if (opts.width <= 0 || opts.height <= 0 || opts.width > 16384 || opts.height > 16384)
    throw VideoError("video: width and height must be between 1 and 16384");
  if (opts.crf < 0 || opts.crf > 51) throw VideoError("video: crf must be between 0 and 51");
  if (std::find_if(kPresets.begin(), kPresets.end(), [&](const char* p) { return opts.preset == p; }) ==
      kPresets.end())
    throw VideoError("video: unknown preset '" + opts.preset + "' (ultrafast ... veryslow)");
  AVPixelFormat pix = av_get_pix_fmt(opts.pix_fmt.c_str());
  const AVCodec* codec = find_h264_encoder();
  if (!codec) throw VideoError("video: this build has no H.264 encoder");
  bool supported = false;
  for (const AVPixelFormat* p = codec->pix_fmts; p && *p != AV_PIX_FMT_NONE; ++p) supported |= (*p == pix);
  if (pix == AV_PIX_FMT_NONE || !supported)
    throw VideoError("video: pixel format '" + opts.pix_fmt + "' cannot be encoded to H.264 here");
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(pix);
  if ((opts.width % (1 << desc->log2_chroma_w)) || (opts.height % (1 << desc->log2_chroma_h)))
    throw VideoError("video: width and height must be even for " + opts.pix_fmt);
  opts_ = opts;

  temp_ = std::make_unique<TempOutput>(path);
  out_ = open_output(path, temp_->temp_path());

  enc_.reset(avcodec_alloc_context3(codec));
  if (!enc_) throw VideoError("video: out of memory (encoder)");
  enc_->width = opts.width;
  enc_->height = opts.height;
  enc_->pix_fmt = pix;
  enc_->time_base = AVRational{opts.fps_den, opts.fps_num};
  enc_->framerate = AVRational{opts.fps_num, opts.fps_den};
  enc_->gop_size = std::max(1, int(std::lround(opts.keyframe_s * opts.fps_num / opts.fps_den)));
  enc_->color_primaries = AVCOL_PRI_BT709;
  enc_->color_trc = AVCOL_TRC_BT709;
  enc_->colorspace = AVCOL_SPC_BT709;
  enc_->color_range = AVCOL_RANGE_MPEG;
  enc_->thread_count = 0;
  if (out_->oformat->flags & AVFMT_GLOBALHEADER) enc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  av_opt_set(enc_->priv_data, "preset", opts.preset.c_str(), 0);
  av_opt_set_double(enc_->priv_data, "crf", opts.crf, 0);
  check(avcodec_open2(enc_.get(), codec, nullptr), "cannot open the H.264 encoder");

  stream_ = avformat_new_stream(out_.get(), nullptr);
  if (!stream_) throw VideoError("video: out of memory (stream)");
  check(avcodec_parameters_from_context(stream_->codecpar, enc_.get()), "cannot describe the video stream");
  stream_->time_base = enc_->time_base;
  stream_->avg_frame_rate = enc_->framerate;
  stream_->r_frame_rate = enc_->framerate;

  frame_ = make_frame();
  frame_->format = pix;
  frame_->width = opts.width;
  frame_->height = opts.height;
  frame_->color_primaries = enc_->color_primaries;
  frame_->color_trc = enc_->color_trc;
  frame_->colorspace = enc_->colorspace;
  frame_->color_range = enc_->color_range;
  check(av_frame_get_buffer(frame_.get(), 0), "cannot allocate a frame");
  pkt_ = make_packet();
}

void VideoWriter::add_audio(AudioSource& src, const AudioEncodeOptions& opts) {
  if (!temp_ || started_) throw VideoError("video: add_audio() comes after open() and before the first frame");
  if (audio_) throw VideoError("video: this writer already has an audio track");
  audio_ = std::make_unique<AudioEncoder>(out_.get(), src, opts);
  audio_src_ = &src;
}

void VideoWriter::start() {
  if (started_) return;
  if (!temp_ || closed_) throw VideoError("video: the writer is not open");
  AVDictionary* mux_opts = nullptr;
  if (opts_.faststart && is_mp4_family(out_->oformat)) av_dict_set(&mux_opts, "movflags", "+faststart", 0);
  int rc = avformat_write_header(out_.get(), &mux_opts);
  av_dict_free(&mux_opts);
  check(rc, "cannot write the header of " + temp_->final_path().string());
  started_ = true;
}

void VideoWriter::write_frame(const cv::Mat& bgr, int repeat_count) {
  if (repeat_count < 0) throw VideoError("video: a frame's repeat count cannot be negative");
  if (repeat_count == 0) return;
  start();
  cv::Mat img = (bgr.type() == CV_8UC3 && bgr.cols == opts_.width && bgr.rows == opts_.height)
                    ? bgr
                    : fit_frame(bgr, opts_.width, opts_.height);
  check(av_frame_make_writable(frame_.get()), "cannot reuse a frame");
  SwsContext* c = sws_getCachedContext(sws_.release(), opts_.width, opts_.height, AV_PIX_FMT_BGR24, opts_.width,
                                       opts_.height, enc_->pix_fmt, SWS_BICUBIC | SWS_ACCURATE_RND, nullptr,
                                       nullptr, nullptr);
  sws_.reset(c);
  if (!c) throw VideoError("video: cannot convert BGR to " + opts_.pix_fmt);
  // RGB in full range to BT.709 limited-range YUV, matching the stream's tags.
  const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
  sws_setColorspaceDetails(c, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
  const uint8_t* src[4] = {img.data, nullptr, nullptr, nullptr};
  int src_stride[4] = {static_cast<int>(img.step[0]), 0, 0, 0};
  sws_scale(c, src, src_stride, 0, opts_.height, frame_->data, frame_->linesize);
  encode_current(repeat_count);
}

void VideoWriter::write_av_frame(const AVFrame* f, int repeat_count) {
  if (repeat_count < 0) throw VideoError("video: a frame's repeat count cannot be negative");
  if (repeat_count == 0) return;
  start();
  bool full_range = f->color_range == AVCOL_RANGE_JPEG;
  AVPixelFormat src_fmt = plain_pix_fmt(static_cast<AVPixelFormat>(f->format), full_range);
  check(av_frame_make_writable(frame_.get()), "cannot reuse a frame");
  SwsContext* c = sws_getCachedContext(sws_.release(), f->width, f->height, src_fmt, opts_.width, opts_.height,
                                       enc_->pix_fmt, SWS_BICUBIC | SWS_ACCURATE_RND, nullptr, nullptr, nullptr);
  sws_.reset(c);
  if (!c) throw VideoError("video: cannot convert decoded frames to " + opts_.pix_fmt);
  sws_setColorspaceDetails(c, sws_getCoefficients(sws_colorspace(f)), full_range ? 1 : 0,
                           sws_getCoefficients(SWS_CS_ITU709), 0, 0, 1 << 16, 1 << 16);
  sws_scale(c, f->data, f->linesize, 0, f->height, frame_->data, frame_->linesize);
  encode_current(repeat_count);
}

void VideoWriter::encode_current(int repeat_count) {
  for (int i = 0; i < repeat_count; ++i) {
    frame_->pts = next_pts_++;
    drain(frame_.get());
    if (audio_) audio_->pump(*audio_src_, duration());
  }
}

void VideoWriter::drain(const AVFrame* f) {
  check(avcodec_send_frame(enc_.get(), f), "H.264 encoding failed");
  for (;;) {
    int rc = avcodec_receive_packet(enc_.get(), pkt_.get());
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
    check(rc, "H.264 encoding failed");
    // Every frame lasts one tick: the muxer then knows the last one's length too.
    if (pkt_->duration <= 0) pkt_->duration = 1;
    pkt_->stream_index = stream_->index;
    av_packet_rescale_ts(pkt_.get(), enc_->time_base, stream_->time_base);
    check(av_interleaved_write_frame(out_.get(), pkt_.get()), "cannot write video");
  }
}

void VideoWriter::close() {
  if (closed_) return;
  if (!temp_) throw VideoError("video: the writer is not open");
  if (next_pts_ == 0) throw VideoError("video: nothing to write: no frames were given");
  drain(nullptr);
  if (audio_) audio_->finish(*audio_src_);
  check(av_write_trailer(out_.get()), "cannot finish " + temp_->final_path().string());
  check(avio_closep(&out_->pb), "cannot close " + temp_->final_path().string());
  temp_->commit();
  closed_ = true;
}

}  // namespace mr::media
