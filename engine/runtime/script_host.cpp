// runtime/script_host.cpp — reload and the inotify watcher.
#include "runtime/script_host.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "log/log.hpp"

namespace fs = std::filesystem;

namespace mr::runtime {

// Idle states made right after a reload: enough for a burst on 2 cores
// without making the reload itself slow (a state loads in about a millisecond).
constexpr size_t kPrewarmStates = 4;

ScriptHost::ScriptHost(fs::path root) : root_(std::move(root)), current_(Generation::empty(root_)) {}

ScriptHost::~ScriptHost() { stop_watching(); }

std::shared_ptr<Generation> ScriptHost::current() const {
  std::lock_guard lk(mu_);
  return current_;
}

std::optional<ErrorLocation> ScriptHost::last_error() const {
  std::lock_guard lk(mu_);
  return last_error_;
}

bool ScriptHost::reload() {
  std::lock_guard rl(reload_mu_);
  auto started = std::chrono::steady_clock::now();
  std::shared_ptr<Generation> gen;
  std::optional<ErrorLocation> err;
  try {
    gen = Generation::build(ScriptTree::load(root_), next_number_);
  } catch (const LoadFailure& e) {
    err = e.loc;
  } catch (const std::exception& e) {
    err = ErrorLocation{e.what(), "", 0};
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (gen) {
    {
      std::lock_guard lk(mu_);
      current_ = gen;
      last_error_.reset();
      ++next_number_;
    }
    log::info("scripts loaded", {{"generation", gen->number()},
                                 {"routes", gen->router().routes().size()},
                                 {"load_ms", ms}});
    try {
      gen->prewarm(kPrewarmStates);
    } catch (const std::exception& e) {
      log::warn("could not prewarm Lua states", {{"error", e.what()}});
    }
  } else {
    {
      std::lock_guard lk(mu_);
      last_error_ = err;
    }
    log::error("scripts failed to load; still serving the previous generation",
               {{"error", err->message}, {"file", err->file}, {"line", err->line}});
  }
  if (on_reload) on_reload(gen != nullptr, gen);
  return gen != nullptr;
}

/* -- Watcher ------------------------------------------------------------- */

namespace {
void add_watches(int fd, const fs::path& root);
}

void ScriptHost::watch(int debounce_ms) {
  if (watcher_.joinable()) return;
  stop_ = false;
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  // The watches exist before watch() returns: a file saved right after start
  // (or between the first load and now) is never missed.
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    log::error("cannot watch scripts (inotify_init1 failed); hot reload is off");
    return;
  }
  add_watches(fd, root_);
  watcher_ = std::thread([this, fd, debounce_ms] { watch_loop(fd, debounce_ms); });
}

void ScriptHost::stop_watching() {
  if (!watcher_.joinable()) return;
  stop_ = true;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  watcher_.join();
  close(wake_fd_);
  wake_fd_ = -1;
}

namespace {
constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF |
                           IN_MOVE_SELF | IN_ATTRIB;

// (Re-)adds watches on the root and every folder under the three script
// folders; adding an already watched folder is harmless.
void add_watches(int fd, const fs::path& root) {
  inotify_add_watch(fd, root.c_str(), IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR);
  for (const char* top : {"api", "scripts", "workflows"}) {
    fs::path dir = root / top;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    inotify_add_watch(fd, dir.c_str(), kMask | IN_ONLYDIR);
    for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (ec) break;
      if (it->is_directory(ec)) inotify_add_watch(fd, it->path().c_str(), kMask | IN_ONLYDIR);
    }
  }
}

bool relevant(const inotify_event* ev) {
  if (ev->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF)) return true;
  if (ev->len == 0) return false;
  std::string name = ev->name;
  if (ev->mask & IN_ISDIR) return true;
  return name.size() > 4 && name.ends_with(".lua") && !name.starts_with(".") && !name.starts_with("#");
}
}  // namespace

void ScriptHost::watch_loop(int fd, int debounce_ms) {
  // Under full load the worker threads starve this one, and a save waits for
  // the scheduler instead of the debounce. A higher priority for the watcher
  // (Linux: per-thread nice) keeps reload latency flat; without the privilege
  // to raise it, it stays as it was.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), -10) != 0) {
    log::debug("reload watcher keeps normal priority", {{"errno", errno}});
  }
  alignas(inotify_event) char buf[64 * 1024];
  bool pending = false;
  while (!stop_) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int timeout = pending ? debounce_ms : -1;
    int n = poll(fds, 2, timeout);
    if (stop_) break;
    if (n == 0 && pending) {  // quiet long enough: reload once
      pending = false;
      reload();
      add_watches(fd, root_);  // new folders may have appeared
      continue;
    }
    if (n < 0) continue;
    if (fds[0].revents & POLLIN) {
      ssize_t len;
      while ((len = read(fd, buf, sizeof buf)) > 0) {
        for (char* p = buf; p < buf + len;) {
          auto* ev = reinterpret_cast<inotify_event*>(p);
          if (relevant(ev)) pending = true;
          p += sizeof(inotify_event) + ev->len;
        }
      }
    }
  }
  close(fd);
}

}  // namespace mr::runtime
