// infer/device.cpp — see device.hpp.
#include "infer/device.hpp"

#include <ATen/Context.h>
#include <torch/cuda.h>

namespace mr::infer {

Availability detect_devices() {
  Availability a;
  a.cuda_devices = torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  a.mps = at::hasMPS();
  return a;
}

DeviceChoice choose_device(const std::string& preference, const Availability& have) {
  if (preference == "auto" || preference.empty()) {
    if (have.cuda_devices > 0)
      return {DeviceKind::Cuda, "auto: CUDA (" + std::to_string(have.cuda_devices) + " device(s))"};
    if (have.mps) return {DeviceKind::Mps, "auto: Apple MPS"};
    return {DeviceKind::Cpu, "auto: no CUDA or MPS device"};
  }
  if (preference == "cpu") return {DeviceKind::Cpu, "configured"};
  if (preference == "cuda") {
    if (have.cuda_devices == 0)
      throw DeviceError("infer.device = cuda, but LibTorch sees no CUDA device (a CPU-only build or no GPU)");
    return {DeviceKind::Cuda, "configured"};
  }
  if (preference == "mps") {
    if (!have.mps) throw DeviceError("infer.device = mps, but LibTorch sees no MPS device");
    return {DeviceKind::Mps, "configured"};
  }
  throw DeviceError("infer.device must be auto, cuda, mps or cpu (got '" + preference + "')");
}

DType choose_dtype(DeviceKind device, bool model_allows_fp16, bool config_allows_fp16) {
  return device == DeviceKind::Cuda && model_allows_fp16 && config_allows_fp16 ? DType::F16 : DType::F32;
}

const char* to_string(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::Cuda: return "cuda";
    case DeviceKind::Mps: return "mps";
    default: return "cpu";
  }
}

const char* to_string(DType dtype) { return dtype == DType::F16 ? "float16" : "float32"; }

}  // namespace mr::infer
