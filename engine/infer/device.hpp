// infer/device.hpp — which device and dtype a model runs on (the device policy).
//
// Contract: choose_device() is pure: given the configured preference
// (`infer.device` = auto | cuda | mps | cpu) and what the machine has, it
// picks one. auto takes CUDA, then MPS, then the CPU; an explicit device the
// machine lacks is an error (a forced GPU that silently ran on the CPU would
// hide a broken install). choose_dtype(): fp16 only on CUDA, only for a model
// that declares it safe, and only when `infer.fp16` allows; MPS and the CPU
// always run fp32 (half precision on MPS has produced NaNs in the source
// systems). detect_devices() asks LibTorch what is present.
#pragma once
#include <stdexcept>
#include <string>

namespace mr::infer {

enum class DeviceKind { Cpu, Cuda, Mps };
enum class DType { F32, F16 };

struct Availability {
  int cuda_devices = 0;
  bool mps = false;
};

struct DeviceChoice {
  DeviceKind kind = DeviceKind::Cpu;
  std::string reason;  // why this one: "auto: CUDA device 0 of 1", "configured"
};

struct DeviceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Availability detect_devices();
// Throws DeviceError for an unknown preference or an explicit device that is absent.
DeviceChoice choose_device(const std::string& preference, const Availability& have);
DType choose_dtype(DeviceKind device, bool model_allows_fp16, bool config_allows_fp16);

const char* to_string(DeviceKind kind);  // "cpu" | "cuda" | "mps"
const char* to_string(DType dtype);      // "float32" | "float16"

}  // namespace mr::infer
