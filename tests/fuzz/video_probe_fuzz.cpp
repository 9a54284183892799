// tests/fuzz/video_probe_fuzz.cpp — fuzz target for the video entry points (probe, then a thumbnail).
//
// The video primitive opens files, so each input is written to a private temp file first.
// libFuzzer-ready like image_decode_fuzz.cpp; `make test` runs it through video_standalone_main.cpp.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "media/video_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("mr-fuzz-video-" + std::to_string(::getpid()) + ".mp4");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    auto info = mr::media::probe(file);
    if (info.width > 0 && info.width * info.height <= 4'000'000) {
      mr::media::VideoReader reader(file, {}, mr::media::ReaderOptions{1, true});
      (void)reader.thumbnail(0.0, 64);
    }
  } catch (const std::exception&) {
    // Every rejection must be a clean exception: crashes and hangs are what the fuzzer looks for.
  }
  return 0;
}
