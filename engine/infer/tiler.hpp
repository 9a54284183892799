// infer/tiler.hpp — running an image model tile by tile with overlap and blended seams.
//
// Contract: run_tiled() cuts the input [1, C, H, W] into a grid of equal
// tiles (the last row and column are moved back inside the image rather than
// shrunk, so every forward call sees one shape), runs `forward` on each, and
// blends the outputs (scale × the tile) across each overlap: the outer
// quarter of an overlap is dropped (context the tile edge cut off), the middle
// half is a linear ramp, so a model whose receptive field reaches at most
// overlap / 4 pixels gives the untiled result, and a wider one gets seamless
// blends. The ramps of two neighbours sum to exactly 1 and at most two tiles
// meet in any direction (overlap ≤ tile / 2), so a region seen by one tile is
// that tile's output unchanged and an image that fits in one tile is
// bit-identical to an untiled run. Output rows are handed to `sink` as soon
// as no later tile can touch them (top to bottom, each row once), so memory
// is one stripe of tiles wide, not the whole float output. `progress(done,
// total)` runs after each tile; returning false stops with TilingStopped.
#pragma once
#include <torch/types.h>

#include <functional>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <vector>

namespace mr::infer {

struct TilingStopped : std::runtime_error {
  TilingStopped() : std::runtime_error("stopped between tiles") {}
};
struct TileShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Start offsets of tiles of `tile` pixels covering `length` with at least
// `overlap` pixels shared by neighbours; {0} when the length fits in one tile.
std::vector<int> tile_positions(int length, int tile, int overlap);

// forward: a tile [1, C, th, tw] → an output [1, C', th*scale, tw*scale] (float, any device).
using TileForward = std::function<torch::Tensor(const torch::Tensor&)>;
// rows: CV_32FC(C') rows [y, y + rows.rows) of the output, full width.
using RowSink = std::function<void(int y, const cv::Mat& rows)>;

// tile = 0: one forward call on the whole image. Returns the number of tiles run.
int run_tiled(const torch::Tensor& input, int scale, int tile, int overlap, const TileForward& forward,
              const RowSink& sink, const std::function<bool(int done, int total)>& progress = {});

// [1, C, h, w] (C ≤ 4) → a CV_32FC(C) h × w Mat (copied to the CPU as float32).
cv::Mat tensor_to_mat(const torch::Tensor& t);

}  // namespace mr::infer
