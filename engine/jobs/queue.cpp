// jobs/queue.cpp — see queue.hpp.
#include "jobs/queue.hpp"

#include <lua.hpp>

#include <algorithm>
#include <cmath>

#include "config/config.hpp"
#include "db/db.hpp"
#include "jobs/execute.hpp"
#include "jobs/job_context.hpp"
#include "log/log.hpp"
#include "runtime/lua_state.hpp"
#include "runtime/generation.hpp"
#include "runtime/script_host.hpp"

namespace mr::jobs {

namespace {

// The worker's own state and the generation it was made from (worker_state()).
thread_local std::shared_ptr<runtime::Generation> t_generation;
thread_local std::unique_ptr<runtime::AppState> t_state;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::atomic<bool> g_webhook_recorded{false};

// Runs inside the transaction that ends a job: the delivery commits with it.
void enqueue_webhook(const json& job, const std::string& event) {
  if (!job["webhook_url"].is_string()) return;
  webhook_enqueue(job["webhook_url"].get<std::string>(), event, json{{"event", event}, {"job", job}}.dump());
  g_webhook_recorded = true;
}

}  // namespace

QueueOptions options_from_config(const config::Config& cfg) {
  QueueOptions o;
  o.max_pending = cfg.integer("jobs.max_pending");
  o.default_timeout_s = cfg.number("jobs.timeout_s");
  o.default_max_attempts = cfg.integer("jobs.max_attempts");
  o.retry_backoff_s = cfg.number("jobs.retry_backoff_s");
  o.event_retention = cfg.integer("jobs.event_retention");
  return o;
}

Queue& queue() {
  static Queue q;
  return q;
}

Queue::Queue() : started_at_(std::chrono::steady_clock::now()) {}
Queue::~Queue() { stop(0); }

void Queue::configure(const QueueOptions& opt) { opt_ = opt; }

void Queue::ensure_schema() {
  std::call_once(schema_once_, [this] {
    init_schema();
    webhooks_init_schema();
    set_terminal_hook(enqueue_webhook);
    pending_ = count_status("pending");
    paused_ = state_get("paused", "0") == "1";
  });
}

// Wakes whoever a change concerns: event waiters (only when some wait), one
// worker for new work or all of them (pause, resume, stop), and the webhook
// sender when a delivery was recorded. Broadcasting to every thread on every
// change cost more than the queue itself.
void Queue::notify(Wake wake) {
  bool waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++change_seq_;
    waiters = event_waiters_ > 0;
  }
  if (wake == Wake::OneWorker) work_cv_.notify_one();
  if (wake == Wake::AllWorkers) work_cv_.notify_all();
  if (waiters) event_cv_.notify_all();
  if (webhooks_ && g_webhook_recorded.exchange(false)) webhooks_->notify();
}

void Queue::start_webhooks(const WebhookOptions& opt) {
  ensure_schema();
  webhooks_ = std::make_unique<WebhookSender>(opt);
  webhooks_->start();
}

std::map<std::string, long long> Queue::webhook_counts() {
  ensure_schema();
  std::map<std::string, long long> out;
  for (const auto& r : db::query("SELECT status, count(*) AS n FROM mr_webhooks GROUP BY status")) {
    auto s = std::get_if<std::string>(&r.at("status"));
    auto n = std::get_if<long long>(&r.at("n"));
    if (s && n) out[*s] = *n;
  }
  return out;
}

json Queue::submit(NewJob job, bool* created) {
  ensure_schema();
  if (job.timeout_s <= 0) job.timeout_s = opt_.default_timeout_s;
  if (job.max_attempts <= 0) job.max_attempts = opt_.default_max_attempts;
  if (std::string why; !job.webhook_url.empty() && !webhook_url_valid(job.webhook_url, &why))
    throw JobError("VALIDATION_ERROR", "webhook_url " + why);
  // A repeat of an accepted job is answered even when the queue is full.
  bool repeat = (!job.id.empty() && get(job.id)) || (!job.idempotency_key.empty() && get_by_key(job.idempotency_key));
  long long pending = pending_.load();
  if (!repeat && pending >= opt_.max_pending) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at_).count();
    double rate = elapsed > 0 ? completed_.load() / elapsed : 0;
    double wait = rate > 0 ? (pending - opt_.max_pending + 1) / rate : 5;
    throw QueueFull(pending, std::clamp(std::ceil(wait), 1.0, 300.0));
  }
  json out = jobs::submit(job, created);
  if (*created) {
    ++pending_;
    if (++events_since_prune_ > 1000) {
      events_since_prune_ = 0;
      prune_events(opt_.event_retention);
    }
  }
  notify(Wake::OneWorker);
  return out;
}

std::string Queue::cancel(const std::string& id) {
  ensure_schema();
  std::string outcome = jobs::cancel(id);
  if (outcome == "cancelled") {
    --pending_;
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    cancel_now_.insert(id);
  }
  notify();
  return outcome;
}

json Queue::retry(const std::string& id) {
  ensure_schema();
  json out = jobs::retry(id);
  ++pending_;
  notify(Wake::OneWorker);
  return out;
}

json Queue::set_priority(const std::string& id, long long priority) {
  ensure_schema();
  json out = jobs::set_priority(id, priority);
  notify();
  return out;
}

long long Queue::clear(const std::string& before_iso) {
  ensure_schema();
  long long n = clear_finished(before_iso);
  notify();
  return n;
}

void Queue::pause() {
  ensure_schema();
  state_set("paused", "1");
  if (!paused_.exchange(true)) append_queue_event("queue.paused");
  notify();
}

void Queue::resume() {
  ensure_schema();
  state_set("paused", "0");
  if (paused_.exchange(false)) append_queue_event("queue.resumed");
  notify(Wake::AllWorkers);
}

json Queue::status() {
  ensure_schema();
  return {{"counts", counts()},
          {"paused", paused_.load()},
          {"workers", static_cast<long long>(workers_.size())},
          {"busy", busy_.load()},
          {"max_pending", opt_.max_pending},
          {"last_event_id", last_event_id()}};
}

std::vector<Event> Queue::wait_events(long long since, const std::string& job_id, const std::string& project_id,
                                      double timeout_s, long long limit) {
  ensure_schema();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                        std::chrono::duration<double>(std::max(0.0, timeout_s)));
  for (;;) {
    unsigned long long seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen = change_seq_;
    }
    auto events = events_after(since, job_id, project_id, limit);
    if (!events.empty() || stopping_) return events;
    std::unique_lock<std::mutex> lock(mu_);
    ++event_waiters_;
    bool changed = event_cv_.wait_until(lock, deadline, [&] { return change_seq_ != seen || stopping_; });
    --event_waiters_;
    if (!changed) return {};
  }
}

// -- Workers ------------------------------------------------------------------

class WorkerContext : public JobContext {
 public:
  WorkerContext(Queue& q, json job)
      : q_(q), job_(std::move(job)), started_(std::chrono::steady_clock::now()),
        deadline_(started_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(job_["timeout_s"].get<double>()))) {
    id_ = job_["id"].get<std::string>();
    attempt_ = job_["attempts"].get<long long>();
  }

  const json& job() const override { return job_; }

  void progress(double percent, const std::string& step) override {
    percent = std::clamp(percent, 0.0, 100.0);
    auto now = std::chrono::steady_clock::now();
    // Persisted at most every 100 ms unless the step changes: a provider may report every frame.
    if (step == last_step_ && percent < 100 && now - last_write_ < std::chrono::milliseconds(100)) return;
    double elapsed = std::chrono::duration<double>(now - started_).count();
    double eta = percent > 0 ? std::round(elapsed * (100 - percent) / percent * 10) / 10 : -1;
    jobs::progress(id_, std::round(percent * 100) / 100, step, eta);
    last_write_ = now;
    last_step_ = step;
    q_.notify();
  }

  const char* stop_reason() const override {
    if (q_.is_stopping_job(id_)) return "cancelled";
    if (std::chrono::steady_clock::now() > deadline_) return "timeout";
    return nullptr;
  }

  // The completion's transaction also claims this worker's next job: one
  // commit instead of two per job under load. If the transaction rolls back,
  // so does the claim, and run_one() drops it.
  void complete(const json& result) override {
    jobs::complete(id_, attempt_, result);
    completed_ = true;
    if (q_.paused_ || q_.stopping_) return;
    try {
      double due = 0;
      next_ = claim(unix_now(), &due);
    } catch (const std::exception&) {
      next_.reset();  // the next worker loop claims the ordinary way
    }
  }

  std::optional<Claimed> take_next() { return std::move(next_); }

  const std::string& id() const { return id_; }
  long long attempt() const { return attempt_; }
  bool completed() const { return completed_; }

 private:
  Queue& q_;
  json job_;
  std::string id_, last_step_;
  long long attempt_ = 0;
  bool completed_ = false;
  std::optional<Claimed> next_;
  std::chrono::steady_clock::time_point started_, deadline_, last_write_{};
};

bool Queue::is_stopping_job(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancel_now_.count(id) > 0;
}

void Queue::start_workers(runtime::ScriptHost& host, int n) {
  ensure_schema();
  host_ = &host;
  long long recovered = recover();
  if (recovered > 0) log::warn("jobs left running by a stopped server were recovered", {{"jobs", recovered}});
  pending_ = count_status("pending");
  // Jobs flagged for cancel before a restart are already ended by recover().
  for (int i = 0; i < n; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
  log::info("job workers started", {{"workers", n}, {"pending", pending_.load()}, {"paused", paused_.load()}});
}

void Queue::begin_stop() {
  stopping_ = true;
  notify(Wake::AllWorkers);
}

void Queue::stop(double) {
  begin_stop();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
  if (webhooks_) webhooks_->stop();
}

void Queue::worker_loop(int index) {
  struct Release {  // the worker's state dies on its own thread (design decision 2)
    ~Release() {
      t_state.reset();
      t_generation.reset();
    }
  } release;
  std::optional<Claimed> next;  // claimed by the previous job's completion
  while (!stopping_) {
    unsigned long long seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen = change_seq_;
    }
    double next_due = 0;
    std::optional<Claimed> c = std::move(next);
    next.reset();
    if (!c && !paused_) {
      try {
        c = claim(unix_now(), &next_due);
      } catch (const std::exception& e) {
        log::error("job claim failed", {{"error", e.what()}});
        next_due = unix_now() + 1;
      }
    }
    if (c) {
      --pending_;
      ++busy_;
      notify();
      next = run_one(*c);
      --busy_;
      ++completed_;
      notify();
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    auto wake = [&] { return change_seq_ != seen || stopping_; };
    if (next_due > 0) {
      work_cv_.wait_for(lock, std::chrono::duration<double>(std::max(0.001, next_due - unix_now())), wake);
    } else {
      work_cv_.wait(lock, wake);
    }
  }
}

// Each worker keeps its own state of the current generation, made again after
// a reload. The JIT is off in it: LuaJIT runs no hooks inside compiled code, and
// the stop hook must reach even a tight loop (workflows orchestrate; the heavy
// work is in C++ primitives, so little is lost).
lua_State* Queue::worker_state() {
  auto gen = host_->current();
  if (!t_state || t_generation != gen) {
    t_state.reset();
    t_state = gen->make_state();
    t_generation = gen;
    luaJIT_setmode(t_state->lua->get(), 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
  }
  return t_state->lua->get();
}

std::optional<Claimed> Queue::run_one(const Claimed& c) {
  WorkerContext ctx(*this, c.job);
  const std::string& id = ctx.id();
  if (c.job["cancel_requested"].get<bool>()) {
    std::lock_guard<std::mutex> lock(mu_);
    cancel_now_.insert(id);
  }
  Outcome out;
  try {
    lua_State* L = worker_state();
    ScopedJob scope(&ctx);
    out = execute(L);
  } catch (const std::exception& e) {
    // No loaded app (a broken tree at start) is worth another try once it is fixed.
    out.code = "APP_NOT_LOADED";
    out.message = e.what();
    out.retryable = true;
  }
  std::string status = out.status, code = out.code, message = out.message, traceback = out.traceback;
  bool retryable = out.retryable;
  std::optional<Claimed> prefetched;

  try {
    const char* why = ctx.stop_reason();
    if (status == "completed" && ctx.completed()) {
      log::debug("job completed", {{"job_id", id}});
      prefetched = ctx.take_next();
    } else if (why && std::string(why) == "cancelled") {
      finish_cancelled(id, ctx.attempt());
    } else {
      if (why) {
        code = "JOB_TIMEOUT";
        message = "the job ran past its " + std::to_string(static_cast<long long>(c.job["timeout_s"].get<double>())) +
                  " s time limit";
        retryable = false;
      } else if (status == "completed") {
        code = "INTERNAL_ERROR";
        message = "the workflow returned without recording its result";
      }
      double backoff = opt_.retry_backoff_s * std::pow(2.0, std::max(0LL, ctx.attempt() - 1));
      std::string now_status = fail(id, ctx.attempt(), code.empty() ? "WORKFLOW_ERROR" : code, message, retryable,
                                    std::min(backoff, 3600.0));
      if (now_status == "pending") ++pending_;
      log::warn("job failed", {{"job_id", id},
                               {"workflow", c.job["workflow"]},
                               {"code", code},
                               {"message", message},
                               {"now", now_status},
                               {"traceback", traceback}});
    }
  } catch (const std::exception& e) {
    log::error("job could not be finished", {{"job_id", id}, {"error", e.what()}});
  }
  std::lock_guard<std::mutex> lock(mu_);
  cancel_now_.erase(id);
  return prefetched;
}

}  // namespace mr::jobs
