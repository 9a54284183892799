// jobs/semaphore.hpp — named counting semaphores, process-wide (per-provider concurrency).
//
// Contract: acquire(name, limit) blocks until fewer than `limit` permits of
// `name` are held, then takes one. The limit is read at each acquire, so a
// configuration change applies to the next waiter. While waiting, `should_stop`
// is polled every 50 ms; when it returns true the wait ends without a permit
// (a cancelled job stops queueing for its GPU). Waiters are served in arrival
// order. release() gives a permit back; every acquired permit must be released
// exactly once (the Lua face ties it to a handle with a finaliser).
#pragma once
#include <functional>
#include <map>
#include <string>

namespace mr::jobs {

bool semaphore_acquire(const std::string& name, long long limit, const std::function<bool()>& should_stop);
void semaphore_release(const std::string& name);

struct SemaphoreState {
  long long held = 0, waiting = 0, limit = 0;
};
std::map<std::string, SemaphoreState> semaphore_states();

}  // namespace mr::jobs
