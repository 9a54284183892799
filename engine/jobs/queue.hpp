// jobs/queue.hpp — the job queue: durable jobs (job_store), a worker pool, cancel, pause, events.
//
// Contract: queue() is the process's one queue; it works without workers
// (every CLI tool can submit, list and cancel jobs), and start_workers() makes
// `serve` run them: N threads, each leasing a Lua state of the app's current
// generation per job and calling moonreel.workflow.execute() in it. Claiming
// is one transaction, so two workers never take the same job. Submissions wake
// an idle worker at once (condition variable, no polling). A running job
// learns of a cancel or its deadline through JobContext::stop_reason(),
// checked at each progress point and, in interpreted Lua, by an instruction
// hook. Past `jobs.max_pending` pending jobs, submit() refuses with QUEUE_FULL
// and a Retry-After estimate. Every committed change wakes event waiters
// (wait_events), who read the event log from the database, so a subscriber
// that resumes from an id misses nothing.
#pragma once
#include <lua.hpp>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "jobs/job_store.hpp"
#include "jobs/webhooks.hpp"

namespace mr::config {
class Config;
}
namespace mr::runtime {
class ScriptHost;
}

namespace mr::jobs {

struct QueueOptions {
  long long max_pending = 10000;
  double default_timeout_s = 600;
  long long default_max_attempts = 3;
  double retry_backoff_s = 1;
  long long event_retention = 100000;
};

QueueOptions options_from_config(const config::Config& cfg);

struct QueueFull : std::runtime_error {
  QueueFull(long long pending, double retry_after_s)
      : std::runtime_error("the queue is full (" + std::to_string(pending) + " jobs pending)"),
        retry_after_s(retry_after_s) {}
  double retry_after_s;
};

class Queue {
 public:
  Queue();
  ~Queue();

  void configure(const QueueOptions& opt);
  const QueueOptions& options() const { return opt_; }

  // Applies defaults (timeout, attempts), refuses with QueueFull past the limit.
  json submit(NewJob job, bool* created);
  std::string cancel(const std::string& id);
  json retry(const std::string& id);
  json set_priority(const std::string& id, long long priority);
  long long clear(const std::string& before_iso);
  void pause();
  void resume();
  bool paused() const { return paused_; }
  json status();

  // Events after `since`; when there are none yet, waits up to timeout_s for one.
  std::vector<Event> wait_events(long long since, const std::string& job_id, const std::string& project_id,
                                 double timeout_s, long long limit);

  // Runs jobs on `n` threads until stop(). Recovers jobs a dead process left running first.
  void start_workers(runtime::ScriptHost& host, int n);
  // Delivers webhooks (serve only; other tools record deliveries for it).
  void start_webhooks(const WebhookOptions& opt);
  std::map<std::string, long long> webhook_counts();
  // Stops claiming and wakes event waiters (they return at once); running
  // jobs go on. Safe from any thread; serve calls it as the signal arrives.
  void begin_stop();
  // begin_stop(), then joins the workers (running jobs finish; the caller
  // bounds the wait) and the webhook sender.
  void stop(double grace_s);

  enum class Wake { None, OneWorker, AllWorkers };
  // Wakes event waiters (and workers as asked) after a committed change.
  void notify(Wake wake = Wake::None);

 private:
  void ensure_schema();
  void worker_loop(int index);
  // Runs a claimed job to its end; returns the next job when its completion claimed one.
  std::optional<Claimed> run_one(const Claimed& c);
  lua_State* worker_state();
  bool is_stopping_job(const std::string& id) const;

  friend class WorkerContext;

  QueueOptions opt_;
  std::once_flag schema_once_;
  std::atomic<bool> paused_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<long long> pending_{0};  // kept in step with the table; read by submit's backpressure check
  std::atomic<int> busy_{0};
  std::atomic<long long> completed_{0};  // finished jobs since start (Retry-After estimate)
  std::chrono::steady_clock::time_point started_at_;
  runtime::ScriptHost* host_ = nullptr;
  std::vector<std::thread> workers_;
  std::unique_ptr<WebhookSender> webhooks_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // workers: new work, pause / resume, stop
  std::condition_variable event_cv_;  // event waiters: anything committed
  unsigned long long change_seq_ = 0;
  int event_waiters_ = 0;
  std::set<std::string> cancel_now_;  // processing jobs asked to stop (mirrors cancel_requested)
  long long events_since_prune_ = 0;
};

Queue& queue();

}  // namespace mr::jobs
