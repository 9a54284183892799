// media/background.cpp — the provider registry and the GrabCut provider.
#include "media/background.hpp"

#include <map>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace mr::media {

namespace {

// GrabCut seeded without a model: a border strip is certain background; pixels
// whose colour is far from the border's mean colour are probable foreground
// (a saliency guess); the rest probable background. Runs on a copy at most
// 320 px wide for speed, then the matte is scaled back and feathered.
class GrabCutProvider : public MatteProvider {
 public:
  std::string name() const override { return "grabcut"; }

  cv::Mat matte(const cv::Mat& bgr) override {
    double scale = std::min(1.0, 320.0 / std::max(bgr.cols, bgr.rows));
    cv::Mat small;
    cv::resize(bgr, small, cv::Size(), scale, scale, cv::INTER_AREA);
    int bw = std::max(1, std::min(small.cols, small.rows) / 20);
    cv::Mat border = cv::Mat::zeros(small.size(), CV_8U);
    border.setTo(255);
    border(cv::Rect(bw, bw, small.cols - 2 * bw, small.rows - 2 * bw)).setTo(0);
    cv::Scalar bg_mean = cv::mean(small, border);

    cv::Mat lab_diff;
    cv::absdiff(small, bg_mean, lab_diff);
    std::vector<cv::Mat> ch;
    cv::split(lab_diff, ch);
    cv::Mat dist = ch[0] + ch[1] + ch[2];  // saturating 8-bit sum: a colour distance
    cv::Mat mask(small.size(), CV_8U, cv::Scalar(cv::GC_PR_BGD));
    mask.setTo(cv::GC_PR_FGD, dist > 60);
    mask.setTo(cv::GC_BGD, border);
    if (cv::countNonZero(mask == cv::GC_PR_FGD) == 0)  // flat image: guess the centre
      mask(cv::Rect(small.cols / 4, small.rows / 4, small.cols / 2, small.rows / 2)).setTo(cv::GC_PR_FGD);

    cv::Mat bgd, fgd;
    cv::grabCut(small, mask, cv::Rect(), bgd, fgd, 4, cv::GC_INIT_WITH_MASK);
    cv::Mat fg = (mask == cv::GC_FGD) | (mask == cv::GC_PR_FGD);
    cv::Mat out;
    cv::resize(fg, out, bgr.size(), 0, 0, cv::INTER_LINEAR);
    cv::GaussianBlur(out, out, cv::Size(5, 5), 0);  // feathered edge
    return out;
  }
};

struct Registry {
  std::mutex mu;
  std::multimap<int, std::shared_ptr<MatteProvider>, std::greater<>> by_priority;
  Registry() { by_priority.emplace(0, std::make_shared<GrabCutProvider>()); }
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_matte_provider(std::shared_ptr<MatteProvider> provider, int priority) {
  std::lock_guard lk(registry().mu);
  registry().by_priority.emplace(priority, std::move(provider));
}

std::pair<cv::Mat, std::string> remove_background(const cv::Mat& image, const std::string& method) {
  std::shared_ptr<MatteProvider> provider;
  {
    std::lock_guard lk(registry().mu);
    for (auto& [prio, p] : registry().by_priority) {
      if ((method == "auto" && p->available()) || p->name() == method) {
        provider = p;
        break;
      }
    }
  }
  if (!provider) throw std::invalid_argument("unknown background removal method '" + method + "'");
  cv::Mat bgr;
  if (image.channels() == 4)
    cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
  else if (image.channels() == 1)
    cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
  else
    bgr = image;
  cv::Mat matte = provider->matte(bgr);
  std::vector<cv::Mat> planes;
  cv::split(bgr, planes);
  planes.push_back(matte);
  cv::Mat out;
  cv::merge(planes, out);
  return {out, provider->name()};
}

}  // namespace mr::media
