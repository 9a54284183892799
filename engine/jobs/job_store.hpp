// jobs/job_store.hpp — the durable half of the job queue: jobs and their events in SQLite.
//
// Contract: every state change of a job is one transaction that updates the
// job row and appends an event row (mr_job_events), so the event log is
// exactly the sequence of committed changes: ids grow in commit order (the db
// primitive has one writer at a time), and a reader that asks for "events
// after N" never misses one. The tables are the engine's own (mr_*, created
// if missing), not app migrations: the queue is a primitive (design decision 1).
//
// Lifecycle: pending → processing → completed | failed | cancelled, and
// processing → pending again for a retryable failure (after a backoff) or a
// worker lost in a crash (recover()). A claim counts an attempt; a completion
// only lands on the attempt that claimed the job (status + attempts match), so
// a job can never complete twice. Nothing here knows what a workflow does.
// Functions throw db::DbError on SQL failures and JobError for refused
// transitions (unknown id, wrong state); both change nothing.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace mr::jobs {

using nlohmann::json;

struct JobError : std::runtime_error {
  JobError(std::string code, const std::string& message) : std::runtime_error(message), code(std::move(code)) {}
  std::string code;  // RESOURCE_NOT_FOUND | CONFLICT | VALIDATION_ERROR
};

struct NewJob {
  std::string id;  // empty = a fresh ULID
  std::string workflow;
  json input = json::object();
  long long priority = 0;
  long long max_attempts = 3;
  double timeout_s = 600;
  std::string project_id, clip_id, kind, idempotency_key, webhook_url;
};

struct Claimed {
  json job;  // the row as the API shows it, attempts already counted
  long long seq = 0;
};

// An event as stored and as sent to SSE subscribers.
struct Event {
  long long id = 0;
  json data;
};

// Creates the tables and indexes if missing.
void init_schema();

// Inserts a pending job, or returns the existing one with the same id or
// idempotency key (created = false). A different workflow under the same key
// is a CONFLICT.
json submit(const NewJob& job, bool* created);

std::optional<json> get(const std::string& id);
std::optional<json> get_by_key(const std::string& idempotency_key);
// Position in the queue (1 = next to run) of a pending job, else 0.
long long position(const std::string& id);

struct ListQuery {
  std::string status, project_id, workflow, clip_id;
  std::string key_prefix;  // idempotency keys starting with this (a batch's jobs)
  long long limit = 50, offset = 0;
};
json list(const ListQuery& q);  // {"items": [...], "total": n}

// The next runnable job (highest priority, then oldest; run_after due), now
// processing; nullopt when none. `next_due` gets the earliest run_after of a
// pending job not yet due (0 if none), so an idle worker knows when to look.
std::optional<Claimed> claim(double now_unix, double* next_due);

// Progress of a processing job (percent 0–100, step text, estimated seconds left).
void progress(const std::string& id, double percent, const std::string& step, double eta_s);

// Ends an attempt. complete() is meant to run inside the caller's transaction
// (the workflow's own completion writes commit with it); it throws CONFLICT if
// the job is no longer this attempt's. The others open their own.
void complete(const std::string& id, long long attempt, const json& result);
// Fails the attempt: back to pending after `retry_in_s` when retryable and
// attempts remain, else failed. Returns the new status.
std::string fail(const std::string& id, long long attempt, const std::string& code, const std::string& message,
                 bool retryable, double retry_in_s);
void finish_cancelled(const std::string& id, long long attempt);

// Client actions. cancel(): a pending job ends now (returns "cancelled"); a
// processing one is flagged (returns "cancelling") and its worker stops it.
std::string cancel(const std::string& id);
json retry(const std::string& id);  // a failed or cancelled job runs again (attempts reset)
json set_priority(const std::string& id, long long priority);
long long clear_finished(const std::string& before_iso);  // "" = every finished job

// At start: jobs left processing by a dead process go back to pending (the
// attempt stays counted), or fail with WORKER_LOST when none remain, or end
// cancelled when a cancel was asked. Returns how many were touched.
long long recover();

long long count_status(const std::string& status);
json counts();  // {"pending": n, "processing": n, ...}

// Events with id > since (oldest first), optionally for one job or project.
std::vector<Event> events_after(long long since, const std::string& job_id, const std::string& project_id,
                                long long limit);
long long last_event_id();
// Appends a queue-level event (pause, resume) in its own transaction.
long long append_queue_event(const std::string& type);
// Keeps the newest `keep` events.
void prune_events(long long keep);

// Queue-wide flags that survive restarts (paused).
std::string state_get(const std::string& key, const std::string& fallback);
void state_set(const std::string& key, const std::string& value);

// Webhook hook: called inside the transaction that ends a job (completed,
// failed, cancelled) with the job row; set once at start by the queue.
using TerminalHook = void (*)(const json& job, const std::string& event_type);
void set_terminal_hook(TerminalHook hook);

}  // namespace mr::jobs
