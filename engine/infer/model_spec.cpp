// infer/model_spec.cpp — see model_spec.hpp.
#include "infer/model_spec.hpp"

#include <regex>

namespace mr::infer {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& field, const std::string& why) {
  throw SpecError("model spec: " + field + " " + why);
}

const json* field(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string str(const json& j, const char* key, const std::string& def, const std::string& path) {
  const json* v = field(j, key);
  if (!v) return def;
  if (!v->is_string()) bad(path + key, "must be a string");
  return v->get<std::string>();
}

double num(const json& j, const char* key, double def, const std::string& path, double lo, double hi) {
  const json* v = field(j, key);
  if (!v) return def;
  if (!v->is_number()) bad(path + key, "must be a number");
  double d = v->get<double>();
  if (!(d >= lo && d <= hi)) bad(path + key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return d;
}

int integer(const json& j, const char* key, int def, const std::string& path, int lo, int hi) {
  double d = num(j, key, def, path, lo, hi);
  if (d != static_cast<int>(d)) bad(path + key, "must be an integer");
  return static_cast<int>(d);
}

std::string one_of(const json& j, const char* key, const std::string& def, const std::string& path,
                   std::initializer_list<const char*> allowed) {
  std::string v = str(j, key, def, path);
  for (const char* a : allowed)
    if (v == a) return v;
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  bad(path + key, "must be one of " + list + " (got '" + v + "')");
}

std::array<double, 3> triple(const json& j, const char* key, std::array<double, 3> def, const std::string& path) {
  const json* v = field(j, key);
  if (!v) return def;
  if (v->is_number()) {
    double d = v->get<double>();
    return {d, d, d};
  }
  if (!v->is_array() || v->size() != 3) bad(path + key, "must be a number or a list of 3 numbers");
  std::array<double, 3> out{};
  for (size_t i = 0; i < 3; ++i) {
    if (!(*v)[i].is_number()) bad(path + key, "must hold numbers");
    out[i] = (*v)[i].get<double>();
  }
  return out;
}

}  // namespace

ModelSpec spec_from_json(const json& j) {
  if (!j.is_object()) throw SpecError("model spec: must be a table");
  ModelSpec s;
  s.name = str(j, "name", "", "");
  static const std::regex kName("^[a-z0-9][a-z0-9._-]{0,63}$");
  if (!std::regex_match(s.name, kName)) bad("name", "must be 1-64 of a-z 0-9 . _ - (got '" + s.name + "')");
  s.task = str(j, "task", "", "");
  if (s.task.empty()) bad("task", "is required (upscale, matte, ...)");
  s.file = str(j, "file", s.name + ".pt", "");
  if (s.file.empty() || s.file.find("..") != std::string::npos || s.file.front() == '/' ||
      s.file.find('/') != std::string::npos)
    bad("file", "must be a file name inside the models directory");
  s.sha256 = str(j, "sha256", "", "");
  static const std::regex kHex("^[0-9a-f]{64}$");
  if (!s.sha256.empty() && !std::regex_match(s.sha256, kHex)) bad("sha256", "must be 64 lowercase hex digits");
  s.description = str(j, "description", "", "");
  s.license = str(j, "license", "", "");

  json in = j.value("input", json::object()), out = j.value("output", json::object());
  if (!in.is_object()) bad("input", "must be a table");
  if (!out.is_object()) bad("output", "must be a table");
  s.layout = one_of(in, "layout", "nchw", "input.", {"nchw", "nhwc"});
  s.channels = one_of(in, "channels", "rgb", "input.", {"rgb", "bgr"});
  s.input_range = num(in, "range", 255, "input.", 1e-6, 1e6);
  s.mean = triple(in, "mean", {0, 0, 0}, "input.");
  s.std = triple(in, "std", {1, 1, 1}, "input.");
  for (double d : s.std)
    if (d == 0) bad("input.std", "must not be 0");
  if (const json* size = field(in, "size")) {
    if (!size->is_array() || size->size() != 2 || !(*size)[0].is_number_integer() || !(*size)[1].is_number_integer())
      bad("input.size", "must be {width, height}");
    s.size_w = (*size)[0].get<int>();
    s.size_h = (*size)[1].get<int>();
    if (s.size_w < 1 || s.size_h < 1 || s.size_w > 16384 || s.size_h > 16384) bad("input.size", "is out of range");
  }
  s.output = one_of(out, "kind", "image", "output.", {"image", "matte", "tensor"});
  s.output_range = num(out, "range", s.output == "matte" ? 1 : 255, "output.", 1e-6, 1e6);
  s.scale = integer(out, "scale", 1, "output.", 1, 16);
  s.tile = integer(j, "tile", 0, "", 0, 8192);
  s.overlap = integer(j, "overlap", 16, "", 0, 1024);
  if (s.tile > 0 && s.overlap * 2 > s.tile) bad("overlap", "must be at most half the tile");
  if (s.fixed_size() && s.tile > 0) bad("tile", "cannot be used with a fixed input size");
  if (const json* f = field(j, "fp16")) {
    if (!f->is_boolean()) bad("fp16", "must be a boolean");
    s.fp16 = f->get<bool>();
  }
  s.concurrency = integer(j, "concurrency", 1, "", 1, 64);
  if (const json* src = field(j, "source")) {
    if (!src->is_object()) bad("source", "must be a table {npm, version, sha256, format, path}");
    s.source = *src;
  }
  return s;
}

json spec_to_json(const ModelSpec& s) {
  json in = {{"layout", s.layout}, {"channels", s.channels}, {"range", s.input_range},
             {"mean", s.mean}, {"std", s.std}};
  if (s.fixed_size()) in["size"] = {s.size_w, s.size_h};
  return {{"name", s.name},
          {"task", s.task},
          {"file", s.file},
          {"sha256", s.sha256.empty() ? json(nullptr) : json(s.sha256)},
          {"description", s.description},
          {"license", s.license},
          {"input", in},
          {"output", {{"kind", s.output}, {"range", s.output_range}, {"scale", s.scale}}},
          {"tile", s.tile},
          {"overlap", s.overlap},
          {"fp16", s.fp16},
          {"concurrency", s.concurrency},
          {"source", s.source}};
}

}  // namespace mr::infer
