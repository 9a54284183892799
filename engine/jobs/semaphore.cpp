// jobs/semaphore.cpp — see semaphore.hpp.
#include "jobs/semaphore.hpp"

#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>

namespace mr::jobs {

namespace {

struct Named {
  long long held = 0, limit = 1;
  std::list<long long> line;  // waiters in arrival order; only the front may take a permit
};

std::mutex g_mu;
std::condition_variable g_cv;
std::map<std::string, Named> g_named;
long long g_next_waiter = 0;

}  // namespace

bool semaphore_acquire(const std::string& name, long long limit, const std::function<bool()>& should_stop) {
  std::unique_lock<std::mutex> lock(g_mu);
  Named& s = g_named[name];
  s.limit = limit < 1 ? 1 : limit;
  long long me = g_next_waiter++;
  auto pos = s.line.insert(s.line.end(), me);
  while (!(s.line.front() == me && s.held < s.limit)) {
    if (should_stop && should_stop()) {
      s.line.erase(pos);
      g_cv.notify_all();  // the one behind us may be first now
      return false;
    }
    g_cv.wait_for(lock, std::chrono::milliseconds(50));
  }
  s.line.erase(pos);
  ++s.held;
  g_cv.notify_all();  // the next in line may also fit under the limit
  return true;
}

void semaphore_release(const std::string& name) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_named.find(name);
  if (it != g_named.end() && it->second.held > 0) --it->second.held;
  g_cv.notify_all();
}

std::map<std::string, SemaphoreState> semaphore_states() {
  std::lock_guard<std::mutex> lock(g_mu);
  std::map<std::string, SemaphoreState> out;
  for (const auto& [k, v] : g_named) out[k] = {v.held, static_cast<long long>(v.line.size()), v.limit};
  return out;
}

}  // namespace mr::jobs
