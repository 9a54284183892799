// infer/model_matte.cpp — see model_matte.hpp.
#include "infer/model_matte.hpp"

#include <mutex>
#include <set>

#include "infer/model_manager.hpp"
#include "jobs/job_context.hpp"
#include "media/background.hpp"

namespace mr::infer {

namespace {

class ModelMatteProvider : public media::MatteProvider {
 public:
  explicit ModelMatteProvider(std::string model) : model_(std::move(model)) {}
  std::string name() const override { return model_; }

  bool available() const override {
    auto& mm = ModelManager::instance();
    if (!mm.spec(model_)) return false;
    return mm.info(model_).value("state", "absent") != "absent";
  }

  cv::Mat matte(const cv::Mat& bgr) override {
    RunOptions ro;
    ro.should_stop = [] {  // a cancelled or timed-out job stops before the model runs
      jobs::JobContext* ctx = jobs::current();
      return ctx && ctx->stop_reason() != nullptr;
    };
    return ModelManager::instance().run(model_, bgr, ro).image;
  }

 private:
  std::string model_;
};

}  // namespace

void install_model_matte(const std::string& model, int priority) {
  static std::mutex mu;
  static std::set<std::string> installed;
  std::lock_guard<std::mutex> lock(mu);
  if (!installed.insert(model).second) return;
  media::register_matte_provider(std::make_shared<ModelMatteProvider>(model), priority);
}

}  // namespace mr::infer
