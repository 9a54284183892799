// infer/model_spec.hpp — a model's declaration: its file and how pixels go in and out.
//
// Contract: models are declared in Lua (scripts/models/*.lua) as plain tables;
// spec_from_json() validates one and fills defaults, throwing SpecError with
// the field at fault. The spec says everything the engine needs to run the
// model without pixel loops in Lua:
//   input:  layout nchw | nhwc, channels rgb | bgr, range (a 0–255 pixel is
//           scaled to 0..range), mean/std per channel (applied after range),
//           size {w, h} when the model only takes one size (the image is
//           resized to it and the output resized back), 0 = any size;
//   output: kind image | matte | tensor, range (what 1.0 of a pixel is),
//           scale (output side / input side, for image outputs);
//   tile, overlap: large images run tile by tile (0 = whole image);
//   fp16: safe in half precision on CUDA; concurrency: runs at once (default 1);
//   source: the pinned package the pull tool converts (kept as given, checked there).
#pragma once
#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace mr::infer {

struct SpecError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct ModelSpec {
  std::string name, task, file, sha256, description, license;
  // input
  std::string layout = "nchw";  // nchw | nhwc
  std::string channels = "rgb";  // rgb | bgr
  double input_range = 255;
  std::array<double, 3> mean{0, 0, 0}, std{1, 1, 1};
  int size_w = 0, size_h = 0;
  // output
  std::string output = "image";  // image | matte | tensor
  double output_range = 255;
  int scale = 1;
  // running
  int tile = 0, overlap = 16;
  bool fp16 = false;
  int concurrency = 1;
  // where `moonreel models pull` gets the weights (tools/models/pull.py reads it):
  // {npm, version, sha256, format, path[, variant, explicit]}; null = a file you provide.
  nlohmann::json source;

  bool fixed_size() const { return size_w > 0 && size_h > 0; }
  bool operator==(const ModelSpec&) const = default;
};

ModelSpec spec_from_json(const nlohmann::json& j);
nlohmann::json spec_to_json(const ModelSpec& s);

}  // namespace mr::infer
