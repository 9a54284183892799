// infer/tiler.cpp — see tiler.hpp.
#include "infer/tiler.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace mr::infer {

std::vector<int> tile_positions(int length, int tile, int overlap) {
  if (tile <= 0 || length <= tile) return {0};
  overlap = std::clamp(overlap, 0, tile / 2);
  int n = static_cast<int>(std::ceil(double(length - overlap) / double(tile - overlap)));
  n = std::max(n, 2);
  std::vector<int> out(n);
  for (int i = 0; i < n; ++i) out[i] = static_cast<int>(std::lround(double(i) * (length - tile) / (n - 1)));
  return out;
}

cv::Mat tensor_to_mat(const torch::Tensor& t) {
  if (t.dim() != 4 || t.size(0) != 1 || t.size(1) < 1 || t.size(1) > 4)
    throw TileShapeError("model output must be [1, C, H, W] with 1-4 channels, got " +
                         std::string(c10::str(t.sizes())));
  torch::Tensor hwc = t.squeeze(0).permute({1, 2, 0}).to(torch::kCPU, torch::kFloat32).contiguous();
  int c = static_cast<int>(t.size(1));
  cv::Mat view(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_32FC(c), hwc.data_ptr<float>());
  return view.clone();
}

namespace {

// Weight at distance d (0 = the tile's edge) into an overlap of n pixels: the
// outer quarter is dropped (its context was cut by the tile edge), the middle
// half is a linear ramp, the inner quarter is kept whole. The ramps of two
// neighbours, ramp(d) + ramp(n - 1 - d), sum to exactly 1.
float ramp(int d, int n) {
  const int margin = n / 4, width = n - 2 * margin;
  if (d < margin) return 0.0f;
  if (d >= n - margin) return 1.0f;
  return (d - margin + 0.5f) / width;
}

// Weights of each tile along one axis at output scale. Each seam (tiles i-1 and i)
// blends over a zone centred in their overlap, as wide as the overlap but never
// wider than the step between the tiles: neighbouring zones then never meet, so
// at any pixel at most two weights are non-zero and they sum to 1, even where
// evenly spread tiles overlap by more than half a tile (three tiles on a pixel).
std::vector<std::vector<float>> axis_weights(const std::vector<int>& pos, int tile, int scale) {
  const int n = static_cast<int>(pos.size()), len = tile * scale;
  std::vector<std::vector<float>> w(n, std::vector<float>(len, 1.0f));
  for (int i = 1; i < n; ++i) {
    const int overlap = pos[i - 1] + tile - pos[i], step = pos[i] - pos[i - 1];
    const int zone = std::min(overlap, step) * scale;
    const int off_left = (overlap * scale - zone) / 2;           // zone start, from tile i's left edge
    const int off_right = overlap * scale - zone - off_left;     // zone end, from tile i-1's right edge
    for (int d = 0; d < len; ++d) {
      const int in_left = d - off_left, in_right = len - 1 - d - off_right;
      const float left = in_left < 0 ? 0.0f : in_left >= zone ? 1.0f : ramp(in_left, zone);
      const float right = in_right < 0 ? 0.0f : in_right >= zone ? 1.0f : ramp(in_right, zone);
      w[i][d] = std::min(w[i][d], left);
      w[i - 1][d] = std::min(w[i - 1][d], right);
    }
  }
  return w;
}

}  // namespace

int run_tiled(const torch::Tensor& input, int scale, int tile, int overlap, const TileForward& forward,
              const RowSink& sink, const std::function<bool(int, int)>& progress) {
  const int H = static_cast<int>(input.size(2)), W = static_cast<int>(input.size(3));
  const int th = tile > 0 ? std::min(tile, H) : H, tw = tile > 0 ? std::min(tile, W) : W;
  const std::vector<int> ys = tile_positions(H, th, overlap), xs = tile_positions(W, tw, overlap);
  const auto wy = axis_weights(ys, th, scale), wx = axis_weights(xs, tw, scale);
  const int total = static_cast<int>(ys.size() * xs.size());
  const int out_w = W * scale, out_th = th * scale, out_tw = tw * scale;

  cv::Mat carry;  // rows of the previous stripe still waiting for this one
  int done = 0, channels = 0;
  for (size_t r = 0; r < ys.size(); ++r) {
    cv::Mat stripe;
    for (size_t c = 0; c < xs.size(); ++c) {
      torch::Tensor in = input.narrow(2, ys[r], th).narrow(3, xs[c], tw);
      cv::Mat out = tensor_to_mat(forward(in));
      if (out.rows != out_th || out.cols != out_tw)
        throw TileShapeError("model output is " + std::to_string(out.cols) + "x" + std::to_string(out.rows) +
                             " for a " + std::to_string(tw) + "x" + std::to_string(th) + " input; expected " +
                             std::to_string(out_tw) + "x" + std::to_string(out_th) + " (scale " +
                             std::to_string(scale) + ")");
      if (stripe.empty()) {
        channels = out.channels();
        stripe = cv::Mat::zeros(out_th, out_w, CV_32FC(channels));
      } else if (out.channels() != channels) {
        throw TileShapeError("model output channels changed between tiles");
      }
      for (int y = 0; y < out_th; ++y) {
        const float* src = out.ptr<float>(y);
        float* dst = stripe.ptr<float>(y) + static_cast<size_t>(xs[c]) * scale * channels;
        const float ry = wy[r][y];
        for (int x = 0; x < out_tw; ++x) {
          const float k = ry * wx[c][x];  // exactly 1 where one tile covers
          for (int ch = 0; ch < channels; ++ch) dst[x * channels + ch] += k * src[x * channels + ch];
        }
      }
      ++done;
      if (progress && !progress(done, total)) throw TilingStopped();
    }
    const int y0 = ys[r] * scale;
    if (!carry.empty()) {  // the overlap with the stripe above: both halves are in now
      cv::Mat top = stripe.rowRange(0, carry.rows);
      top += carry;
    }
    const int final_end = r + 1 < ys.size() ? ys[r + 1] * scale - y0 : out_th;
    sink(y0, stripe.rowRange(0, final_end));
    carry = final_end < out_th ? stripe.rowRange(final_end, out_th).clone() : cv::Mat();
  }
  return total;
}

}  // namespace mr::infer
