// runtime/script_host.hpp — the current generation, atomic reload, and the file watcher.
//
// Contract: current() is what new requests use. reload() snapshots the tree,
// builds a generation and swaps it in only if the build succeeded (design
// decision 3); otherwise the old generation keeps serving and last_error()
// names file and line until a later reload succeeds. watch() starts an
// inotify thread over api/, scripts/ and workflows/ that reloads after a
// short quiet period (debounce), so one save → one reload.
#pragma once
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "runtime/generation.hpp"

namespace mr::runtime {

class ScriptHost {
 public:
  explicit ScriptHost(std::filesystem::path root);
  ~ScriptHost();

  std::shared_ptr<Generation> current() const;
  std::optional<ErrorLocation> last_error() const;
  const std::filesystem::path& root() const { return root_; }

  // Returns true when a new generation was swapped in.
  bool reload();

  void watch(int debounce_ms);
  void stop_watching();

  // Called after every reload attempt (tests and the log use it).
  std::function<void(bool ok, const std::shared_ptr<Generation>&)> on_reload;

 private:
  void watch_loop(int inotify_fd, int debounce_ms);

  std::filesystem::path root_;
  mutable std::mutex mu_;
  std::shared_ptr<Generation> current_;
  std::optional<ErrorLocation> last_error_;
  int next_number_ = 1;
  std::mutex reload_mu_;  // one reload at a time
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  std::thread watcher_;
};

}  // namespace mr::runtime
