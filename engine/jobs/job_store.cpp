// jobs/job_store.cpp — see job_store.hpp.
#include "jobs/job_store.hpp"

#include <chrono>
#include <cmath>

#include "db/db.hpp"
#include "util/time.hpp"
#include "util/ulid.hpp"

namespace mr::jobs {

namespace {

using db::Row;
using db::Value;

TerminalHook g_terminal_hook = nullptr;

std::string now_iso() { return util::iso8601(std::chrono::system_clock::now()); }

std::string text(const Row& r, const char* k) {
  auto it = r.find(k);
  if (it == r.end()) return "";
  if (auto s = std::get_if<std::string>(&it->second)) return *s;
  return "";
}
long long integer(const Row& r, const char* k) {
  auto it = r.find(k);
  if (it == r.end()) return 0;
  if (auto i = std::get_if<long long>(&it->second)) return *i;
  if (auto d = std::get_if<double>(&it->second)) return static_cast<long long>(*d);
  return 0;
}
double number(const Row& r, const char* k) {
  auto it = r.find(k);
  if (it == r.end()) return 0;
  if (auto d = std::get_if<double>(&it->second)) return *d;
  if (auto i = std::get_if<long long>(&it->second)) return static_cast<double>(*i);
  return 0;
}
bool is_null(const Row& r, const char* k) {
  auto it = r.find(k);
  return it == r.end() || std::holds_alternative<std::nullptr_t>(it->second);
}
json text_or_null(const Row& r, const char* k) { return is_null(r, k) ? json(nullptr) : json(text(r, k)); }
json parsed_or_null(const Row& r, const char* k) {
  if (is_null(r, k)) return nullptr;
  return json::parse(text(r, k), nullptr, false);
}
Value opt(const std::string& s) { return s.empty() ? Value(nullptr) : Value(s); }

json to_job(const Row& r) {
  json j = {
      {"id", text(r, "id")},
      {"workflow", text(r, "workflow")},
      {"kind", text_or_null(r, "kind")},
      {"status", text(r, "status")},
      {"priority", integer(r, "priority")},
      {"attempts", integer(r, "attempts")},
      {"max_attempts", integer(r, "max_attempts")},
      {"timeout_s", number(r, "timeout_s")},
      {"input", parsed_or_null(r, "input")},
      {"progress",
       {{"percent", number(r, "progress")},
        {"step", text_or_null(r, "step")},
        {"eta_s", is_null(r, "eta_s") ? json(nullptr) : json(number(r, "eta_s"))}}},
      {"result", parsed_or_null(r, "result")},
      {"error", is_null(r, "error_code")
                    ? json(nullptr)
                    : json{{"code", text(r, "error_code")}, {"message", text(r, "error_message")}}},
      {"project_id", text_or_null(r, "project_id")},
      {"clip_id", text_or_null(r, "clip_id")},
      {"idempotency_key", text_or_null(r, "idempotency_key")},
      {"webhook_url", text_or_null(r, "webhook_url")},
      {"cancel_requested", integer(r, "cancel_requested") != 0},
      {"created_at", text(r, "created_at")},
      {"started_at", text_or_null(r, "started_at")},
      {"finished_at", text_or_null(r, "finished_at")},
      {"updated_at", text(r, "updated_at")},
  };
  double run_after = number(r, "run_after");
  if (j["status"] == "pending" && run_after > 0)
    j["retry_at"] = util::iso8601(std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(run_after))));
  return j;
}

std::optional<Row> row_by_id(const std::string& id) {
  auto rows = db::query("SELECT * FROM mr_jobs WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

Row must_get(const std::string& id) {
  auto r = row_by_id(id);
  if (!r) throw JobError("RESOURCE_NOT_FOUND", "Job with id '" + id + "' not found");
  return *r;
}

// Appends the event for a job's new state; the caller's transaction commits it.
void append_event(const std::string& type, const json& job, const json& extra = json::object()) {
  json data = {{"type", type},
               {"job_id", job["id"]},
               {"workflow", job["workflow"]},
               {"project_id", job["project_id"]},
               {"clip_id", job["clip_id"]},
               {"status", job["status"]},
               {"attempts", job["attempts"]},
               {"progress", job["progress"]},
               {"at", now_iso()}};
  for (auto it = extra.begin(); it != extra.end(); ++it) data[it.key()] = it.value();
  db::exec("INSERT INTO mr_job_events (job_id, project_id, type, data) VALUES (?, ?, ?, ?)",
           {job["id"].get<std::string>(), job["project_id"].is_string() ? Value(job["project_id"].get<std::string>())
                                                                        : Value(nullptr),
            type, data.dump()});
}

// Re-reads the job and appends its event; terminal states also reach the hook (webhooks).
json record(const std::string& id, const std::string& type, const json& extra = json::object()) {
  json job = to_job(must_get(id));
  append_event(type, job, extra);
  if (g_terminal_hook && (type == "job.completed" || type == "job.failed" || type == "job.cancelled"))
    g_terminal_hook(job, type);
  return job;
}

}  // namespace

void set_terminal_hook(TerminalHook hook) { g_terminal_hook = hook; }

void init_schema() {
  db::transaction([] {
    db::exec(R"(CREATE TABLE IF NOT EXISTS mr_jobs (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      workflow TEXT NOT NULL,
      kind TEXT,
      input TEXT NOT NULL,
      status TEXT NOT NULL,
      priority INTEGER NOT NULL DEFAULT 0,
      attempts INTEGER NOT NULL DEFAULT 0,
      max_attempts INTEGER NOT NULL DEFAULT 3,
      timeout_s REAL NOT NULL DEFAULT 600,
      progress REAL NOT NULL DEFAULT 0,
      step TEXT,
      eta_s REAL,
      result TEXT,
      error_code TEXT,
      error_message TEXT,
      project_id TEXT,
      clip_id TEXT,
      idempotency_key TEXT,
      webhook_url TEXT,
      cancel_requested INTEGER NOT NULL DEFAULT 0,
      run_after REAL NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      started_at TEXT,
      finished_at TEXT,
      updated_at TEXT NOT NULL))");
    // Partial indexes: each commit writes only the index pages it must. Only
    // pending jobs sit in the queue index (a completion never touches it), and
    // jobs without a key or project are in neither of those.
    db::exec("CREATE INDEX IF NOT EXISTS mr_jobs_pending ON mr_jobs(priority DESC, seq) WHERE status = 'pending'");
    db::exec("CREATE UNIQUE INDEX IF NOT EXISTS mr_jobs_key ON mr_jobs(idempotency_key) WHERE idempotency_key IS NOT NULL");
    db::exec("CREATE INDEX IF NOT EXISTS mr_jobs_project ON mr_jobs(project_id, seq) WHERE project_id IS NOT NULL");
    db::exec(R"(CREATE TABLE IF NOT EXISTS mr_job_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      job_id TEXT,
      project_id TEXT,
      type TEXT NOT NULL,
      data TEXT NOT NULL))");
    // No secondary indexes: readers ask for "after id N" (a rowid range near the
    // tail) and filter it; an index per filter would double the writes of every event.
    db::exec("CREATE TABLE IF NOT EXISTS mr_queue_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  });
}

json submit(const NewJob& nj, bool* created) {
  json out;
  db::transaction([&] {
    std::optional<Row> existing;
    if (!nj.id.empty()) existing = row_by_id(nj.id);
    if (!existing && !nj.idempotency_key.empty()) {
      auto rows = db::query("SELECT * FROM mr_jobs WHERE idempotency_key = ?", {nj.idempotency_key});
      if (!rows.empty()) existing = rows.front();
    }
    if (existing) {
      if (text(*existing, "workflow") != nj.workflow)
        throw JobError("CONFLICT", "Job '" + text(*existing, "id") + "' already exists with workflow '" +
                                       text(*existing, "workflow") + "'");
      *created = false;
      out = to_job(*existing);
      return;
    }
    std::string id = nj.id.empty() ? util::new_ulid() : nj.id;
    std::string now = now_iso();
    db::exec(
        "INSERT INTO mr_jobs (id, workflow, kind, input, status, priority, max_attempts, timeout_s, project_id, "
        "clip_id, idempotency_key, webhook_url, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {id, nj.workflow, opt(nj.kind), nj.input.dump(), nj.priority, nj.max_attempts, nj.timeout_s,
         opt(nj.project_id), opt(nj.clip_id), opt(nj.idempotency_key), opt(nj.webhook_url), now, now});
    *created = true;
    out = record(id, "job.created");
  });
  return out;
}

std::optional<json> get(const std::string& id) {
  auto r = row_by_id(id);
  if (!r) return std::nullopt;
  return to_job(*r);
}

std::optional<json> get_by_key(const std::string& key) {
  auto rows = db::query("SELECT * FROM mr_jobs WHERE idempotency_key = ?", {key});
  if (rows.empty()) return std::nullopt;
  return to_job(rows.front());
}

long long position(const std::string& id) {
  auto r = row_by_id(id);
  if (!r || text(*r, "status") != "pending") return 0;
  auto rows = db::query(
      "SELECT count(*) AS n FROM mr_jobs WHERE status = 'pending' AND (priority > ? OR (priority = ? AND seq < ?))",
      {integer(*r, "priority"), integer(*r, "priority"), integer(*r, "seq")});
  return integer(rows.front(), "n") + 1;
}

json list(const ListQuery& q) {
  std::string where = " WHERE 1 = 1";
  std::vector<Value> params;
  auto add = [&](const std::string& v, const char* clause) {
    if (v.empty()) return;
    where += clause;
    params.emplace_back(v);
  };
  add(q.status, " AND status = ?");
  add(q.project_id, " AND project_id = ?");
  add(q.workflow, " AND workflow = ?");
  add(q.clip_id, " AND clip_id = ?");
  if (!q.key_prefix.empty()) {
    // LIKE with the prefix's own % and _ escaped, so a key is matched literally.
    std::string pat;
    for (char c : q.key_prefix) {
      if (c == '%' || c == '_' || c == '\\') pat += '\\';
      pat += c;
    }
    where += " AND idempotency_key LIKE ? ESCAPE '\\'";
    params.emplace_back(pat + "%");
  }
  long long total = integer(db::query("SELECT count(*) AS n FROM mr_jobs" + where, params).front(), "n");
  params.emplace_back(q.limit);
  params.emplace_back(q.offset);
  json items = json::array();
  for (const auto& r : db::query("SELECT * FROM mr_jobs" + where + " ORDER BY seq DESC LIMIT ? OFFSET ?", params))
    items.push_back(to_job(r));
  return {{"items", items}, {"total", total}, {"limit", q.limit}, {"offset", q.offset}};
}

std::optional<Claimed> claim(double now_unix, double* next_due) {
  std::optional<Claimed> out;
  *next_due = 0;
  db::transaction([&] {
    auto rows = db::query(
        "SELECT seq, id FROM mr_jobs WHERE status = 'pending' AND run_after <= ? ORDER BY priority DESC, seq "
        "LIMIT 1",
        {now_unix});
    if (rows.empty()) {
      auto due = db::query("SELECT min(run_after) AS t FROM mr_jobs WHERE status = 'pending' AND run_after > ?",
                           {now_unix});
      if (!due.empty()) *next_due = number(due.front(), "t");
      return;
    }
    std::string id = text(rows.front(), "id");
    std::string now = now_iso();
    db::exec(
        "UPDATE mr_jobs SET status = 'processing', attempts = attempts + 1, started_at = ?, updated_at = ?, "
        "progress = 0, step = NULL, eta_s = NULL, error_code = NULL, error_message = NULL WHERE id = ?",
        {now, now, id});
    out = Claimed{record(id, "job.started"), integer(rows.front(), "seq")};
  });
  return out;
}

void progress(const std::string& id, double percent, const std::string& step, double eta_s) {
  db::transaction([&] {
    auto changed = db::exec(
        "UPDATE mr_jobs SET progress = ?, step = ?, eta_s = ?, updated_at = ? WHERE id = ? AND status = "
        "'processing'",
        {percent, opt(step), eta_s >= 0 ? Value(eta_s) : Value(nullptr), now_iso(), id});
    if (changed.changes > 0) record(id, "job.progress");
  });
}

void complete(const std::string& id, long long attempt, const json& result) {
  db::transaction([&] {
    std::string now = now_iso();
    auto changed = db::exec(
        "UPDATE mr_jobs SET status = 'completed', result = ?, progress = 100, eta_s = 0, finished_at = ?, "
        "updated_at = ? WHERE id = ? AND status = 'processing' AND attempts = ?",
        {result.dump(), now, now, id, attempt});
    if (changed.changes == 0) throw JobError("CONFLICT", "job '" + id + "' is no longer this attempt's");
    record(id, "job.completed");
  });
}

std::string fail(const std::string& id, long long attempt, const std::string& code, const std::string& message,
                 bool retryable, double retry_in_s) {
  std::string status;
  db::transaction([&] {
    auto r = must_get(id);
    if (text(r, "status") != "processing" || integer(r, "attempts") != attempt) return;
    std::string now = now_iso();
    bool again = retryable && integer(r, "attempts") < integer(r, "max_attempts");
    if (again) {
      double at = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() +
                  retry_in_s;
      db::exec(
          "UPDATE mr_jobs SET status = 'pending', run_after = ?, error_code = ?, error_message = ?, "
          "updated_at = ? WHERE id = ?",
          {at, code, message, now, id});
      status = "pending";
      record(id, "job.retrying", {{"error", {{"code", code}, {"message", message}}}, {"retry_in_s", retry_in_s}});
    } else {
      db::exec(
          "UPDATE mr_jobs SET status = 'failed', error_code = ?, error_message = ?, finished_at = ?, updated_at = ? "
          "WHERE id = ?",
          {code, message, now, now, id});
      status = "failed";
      record(id, "job.failed", {{"error", {{"code", code}, {"message", message}}}});
    }
  });
  return status;
}

void finish_cancelled(const std::string& id, long long attempt) {
  db::transaction([&] {
    std::string now = now_iso();
    auto changed = db::exec(
        "UPDATE mr_jobs SET status = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ? AND status = "
        "'processing' AND attempts = ?",
        {now, now, id, attempt});
    if (changed.changes > 0) record(id, "job.cancelled");
  });
}

std::string cancel(const std::string& id) {
  std::string outcome;
  db::transaction([&] {
    auto r = must_get(id);
    std::string status = text(r, "status");
    std::string now = now_iso();
    if (status == "pending") {
      db::exec("UPDATE mr_jobs SET status = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?",
               {now, now, id});
      record(id, "job.cancelled");
      outcome = "cancelled";
    } else if (status == "processing") {
      if (integer(r, "cancel_requested") == 0) {
        db::exec("UPDATE mr_jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?", {now, id});
        record(id, "job.cancelling");
      }
      outcome = "cancelling";
    } else {
      throw JobError("CONFLICT", "Job '" + id + "' is already " + status);
    }
  });
  return outcome;
}

json retry(const std::string& id) {
  json out;
  db::transaction([&] {
    auto r = must_get(id);
    std::string status = text(r, "status");
    if (status != "failed" && status != "cancelled")
      throw JobError("CONFLICT", "Job '" + id + "' is " + status + "; only failed or cancelled jobs can be retried");
    db::exec(
        "UPDATE mr_jobs SET status = 'pending', attempts = 0, run_after = 0, cancel_requested = 0, progress = 0, "
        "step = NULL, eta_s = NULL, result = NULL, error_code = NULL, error_message = NULL, started_at = NULL, "
        "finished_at = NULL, updated_at = ?, seq = (SELECT max(seq) + 1 FROM mr_jobs) WHERE id = ?",
        {now_iso(), id});
    out = record(id, "job.requeued");
  });
  return out;
}

json set_priority(const std::string& id, long long priority) {
  json out;
  db::transaction([&] {
    auto r = must_get(id);
    if (text(r, "status") != "pending")
      throw JobError("CONFLICT", "Job '" + id + "' is " + text(r, "status") + "; only a pending job's priority changes");
    db::exec("UPDATE mr_jobs SET priority = ?, updated_at = ? WHERE id = ?", {priority, now_iso(), id});
    out = record(id, "job.priority");
  });
  return out;
}

long long clear_finished(const std::string& before_iso) {
  long long n = 0;
  db::transaction([&] {
    std::string sql = "DELETE FROM mr_jobs WHERE status IN ('completed', 'failed', 'cancelled')";
    std::vector<Value> params;
    if (!before_iso.empty()) {
      sql += " AND finished_at < ?";
      params.emplace_back(before_iso);
    }
    n = db::exec(sql, params).changes;
  });
  return n;
}

long long recover() {
  long long n = 0;
  db::transaction([&] {
    for (const auto& r : db::query("SELECT id, attempts, max_attempts, cancel_requested FROM mr_jobs "
                                   "WHERE status = 'processing'")) {
      std::string id = text(r, "id"), now = now_iso();
      ++n;
      if (integer(r, "cancel_requested") != 0) {
        db::exec("UPDATE mr_jobs SET status = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?",
                 {now, now, id});
        record(id, "job.cancelled");
      } else if (integer(r, "attempts") < integer(r, "max_attempts")) {
        db::exec(
            "UPDATE mr_jobs SET status = 'pending', run_after = 0, error_code = 'WORKER_LOST', error_message = "
            "'the server stopped while the job ran; it runs again', updated_at = ? WHERE id = ?",
            {now, id});
        record(id, "job.retrying", {{"error", {{"code", "WORKER_LOST"}}}});
      } else {
        db::exec(
            "UPDATE mr_jobs SET status = 'failed', error_code = 'WORKER_LOST', error_message = 'the server stopped "
            "while the job ran and no attempts remain', finished_at = ?, updated_at = ? WHERE id = ?",
            {now, now, id});
        record(id, "job.failed", {{"error", {{"code", "WORKER_LOST"}}}});
      }
    }
  });
  return n;
}

long long count_status(const std::string& status) {
  return integer(db::query("SELECT count(*) AS n FROM mr_jobs WHERE status = ?", {status}).front(), "n");
}

json counts() {
  json out = {{"pending", 0}, {"processing", 0}, {"completed", 0}, {"failed", 0}, {"cancelled", 0}};
  for (const auto& r : db::query("SELECT status, count(*) AS n FROM mr_jobs GROUP BY status"))
    out[text(r, "status")] = integer(r, "n");
  return out;
}

std::vector<Event> events_after(long long since, const std::string& job_id, const std::string& project_id,
                                long long limit) {
  std::string sql = "SELECT id, data FROM mr_job_events WHERE id > ?";
  std::vector<Value> params{since};
  if (!job_id.empty()) {
    sql += " AND job_id = ?";
    params.emplace_back(job_id);
  }
  if (!project_id.empty()) {
    sql += " AND project_id = ?";
    params.emplace_back(project_id);
  }
  sql += " ORDER BY id LIMIT ?";
  params.emplace_back(limit);
  std::vector<Event> out;
  for (const auto& r : db::query(sql, params)) {
    Event e{integer(r, "id"), json::parse(text(r, "data"), nullptr, false)};
    e.data["id"] = e.id;
    out.push_back(std::move(e));
  }
  return out;
}

long long last_event_id() {
  auto rows = db::query("SELECT coalesce(max(id), 0) AS n FROM mr_job_events");
  return integer(rows.front(), "n");
}

long long append_queue_event(const std::string& type) {
  long long id = 0;
  db::transaction([&] {
    json data = {{"type", type}, {"at", now_iso()}};
    id = db::exec("INSERT INTO mr_job_events (type, data) VALUES (?, ?)", {type, data.dump()}).last_insert_id;
  });
  return id;
}

void prune_events(long long keep) {
  db::exec("DELETE FROM mr_job_events WHERE id <= (SELECT max(id) FROM mr_job_events) - ?", {keep});
}

std::string state_get(const std::string& key, const std::string& fallback) {
  auto rows = db::query("SELECT value FROM mr_queue_state WHERE key = ?", {key});
  return rows.empty() ? fallback : text(rows.front(), "value");
}

void state_set(const std::string& key, const std::string& value) {
  db::exec("INSERT INTO mr_queue_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
           {key, value});
}

}  // namespace mr::jobs
