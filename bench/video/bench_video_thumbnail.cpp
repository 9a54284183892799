// bench/video/bench_video_thumbnail.cpp — times the video primitive's thumbnails in-process.
//
//   bench_video_thumbnail make OUT.mp4 SECONDS [WIDTH HEIGHT]   a moving test video, with VideoWriter
//   bench_video_thumbnail thumb IN.mp4 N OUT_DIR                N thumbnails (256 px, JPEG) at spread times
//   bench_video_thumbnail exact IN.mp4 N OUT_DIR                the same through frame_at (accurate seek)
// Each thumbnail opens the file afresh (as a request would), decodes, scales
// and writes a JPEG, so it does what `ffmpeg -ss T -i IN -frames:v 1
// -vf scale=256:-1 out.jpg` does, minus the process. Prints one line:
// "n=N mean_ms=… median_ms=… min_ms=… max_ms=…".
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "media/video_edit.hpp"

using namespace mr::media;
using Clock = std::chrono::steady_clock;

namespace {

int make(const std::string& out, double seconds, int w, int h) {
  WriterOptions o;
  o.width = w;
  o.height = h;
  o.fps_num = 24;
  o.fps_den = 1;
  o.keyframe_s = 10;  // about what an ordinary upload has (x264's default keyint is 250)
  VideoWriter writer;
  writer.open(out, o);
  cv::Mat frame(h, w, CV_8UC3), noise(h, w, CV_8UC3);
  cv::RNG rng(1);
  const int n = static_cast<int>(seconds * 24);
  for (int k = 0; k < n; ++k) {
    // A gradient that drifts, moving shapes and a little noise: real work for the encoder and decoder.
    for (int y = 0; y < h; y += 8)
      cv::rectangle(frame, cv::Rect(0, y, w, 8), cv::Scalar((y + k) % 256, (2 * y + 3 * k) % 256, (k * 5) % 256),
                    cv::FILLED);
    for (int s = 0; s < 12; ++s) {
      int x = (s * 157 + k * (3 + s)) % w, y = (s * 89 + k * (2 + s % 5)) % h;
      cv::circle(frame, {x, y}, 40 + 10 * s, cv::Scalar(255 - 20 * s, 15 * s, 128), cv::FILLED);
    }
    rng.fill(noise, cv::RNG::UNIFORM, 0, 24);
    cv::add(frame, noise, frame);
    cv::putText(frame, "frame " + std::to_string(k), {60, 120}, cv::FONT_HERSHEY_SIMPLEX, 3, {255, 255, 255}, 6);
    writer.write_frame(frame, 1);
  }
  writer.close();
  std::printf("made %s: %d frames %dx%d\n", out.c_str(), n, w, h);
  return 0;
}

int time_thumbs(const std::string& in, int n, const std::string& out_dir, bool exact) {
  double duration = probe(in).duration;
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    double t = (i + 0.5) * duration / n;
    auto t0 = Clock::now();
    cv::Mat img;
    {
      VideoReader r(in, {}, exact ? ReaderOptions{} : ReaderOptions{1, true});
      if (exact) {
        cv::Mat full = r.frame_at(t);
        cv::resize(full, img, {256, std::max(1, full.rows * 256 / full.cols)}, 0, 0, cv::INTER_AREA);
      } else {
        img = r.thumbnail(t, 256);
      }
    }
    cv::imwrite(out_dir + "/engine_" + std::to_string(i) + ".jpg", img);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (double v : ms) sum += v;
  std::printf("n=%d mean_ms=%.2f median_ms=%.2f min_ms=%.2f max_ms=%.2f\n", n, sum / n, sorted[n / 2], sorted.front(),
              sorted.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "make" && argc >= 4)
      return make(argv[2], std::stod(argv[3]), argc > 5 ? std::stoi(argv[4]) : 1920, argc > 5 ? std::stoi(argv[5]) : 1080);
    if ((mode == "thumb" || mode == "exact") && argc >= 5)
      return time_thumbs(argv[2], std::stoi(argv[3]), argv[4], mode == "exact");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_video_thumbnail: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: bench_video_thumbnail make OUT SECONDS [W H] | thumb IN N DIR | exact IN N DIR\n");
  return 2;
}
