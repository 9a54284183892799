// media/background.hpp — background removal behind one interface: classical now, models later.
//
// Contract: a MatteProvider turns a BGR image into an 8-bit matte (255 =
// foreground) of the same size. Providers register under a name with a
// priority; remove_background(img, "auto") uses the highest-priority one, so
// a model-based provider (an `infer` model) registered later takes over
// without callers changing. The built-in "grabcut" provider needs no model.
#pragma once
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <utility>

namespace mr::media {

class MatteProvider {
 public:
  virtual ~MatteProvider() = default;
  virtual std::string name() const = 0;
  virtual cv::Mat matte(const cv::Mat& bgr) = 0;
  // "auto" skips a provider that cannot run now (a model not installed).
  virtual bool available() const { return true; }
};

void register_matte_provider(std::shared_ptr<MatteProvider> provider, int priority);

// Returns the BGRA cut-out and the name of the method that made it.
// method: "auto" (the highest-priority available provider) or a registered
// name; throws std::invalid_argument for an unknown one.
std::pair<cv::Mat, std::string> remove_background(const cv::Mat& image, const std::string& method = "auto");

}  // namespace mr::media
