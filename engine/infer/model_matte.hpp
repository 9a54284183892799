// infer/model_matte.hpp — a matting model as a background-removal method.
//
// Contract: install_model_matte("isnet") registers a media::MatteProvider named
// after the model, above the built-in GrabCut, so image.remove_background(img)
// ("auto") uses the model whenever it is declared and its file is present, and
// GrabCut otherwise; the result names the method that ran either way. Asking
// for the model by name when it is absent is the manager's MODEL_ABSENT error.
// Installing the same name twice does nothing.
#pragma once
#include <string>

namespace mr::infer {

void install_model_matte(const std::string& model, int priority = 10);

}  // namespace mr::infer
