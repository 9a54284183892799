// db/connection.cpp — opening per-thread connections, the statement cache, transaction nesting.
#include "db/connection.hpp"

#include <atomic>
#include <filesystem>
#include <mutex>

#include "config/config.hpp"
#include "log/log.hpp"

namespace fs = std::filesystem;

namespace mr::db {

/* -- Errors -------------------------------------------------------------- */

namespace {
const char* const kNoTxInSql =
    "db: SQL may not begin or end transactions (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE); use db.tx(fn)";
}

void raise(sqlite3* conn, int rc) {
  if (rc == SQLITE_AUTH) throw DbError(kNoTxInSql);  // the only thing the authorizer refuses
  const char* msg = conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc);
  throw DbError(std::string("db: ") + (msg ? msg : sqlite3_errstr(rc)));
}

/* -- Statements ---------------------------------------------------------- */

namespace {

// True when `rest` holds another statement (anything but blanks, `;` and comments).
bool has_another_statement(sqlite3* conn, const char* rest, const char* end) {
  while (rest < end) {
    sqlite3_stmt* next = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(conn, rest, static_cast<int>(end - rest), &next, &tail);
    if (next) sqlite3_finalize(next);
    if (rc != SQLITE_OK || next) return true;  // a second statement, valid or not
    if (tail == nullptr || tail <= rest) return false;
    rest = tail;
  }
  return false;
}

}  // namespace

Statement::Statement(sqlite3* conn, std::string_view sql, bool persistent) {
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(conn, sql.data(), static_cast<int>(sql.size()),
                              persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt_, &tail);
  if (rc != SQLITE_OK) raise(conn, rc);
  if (stmt_ == nullptr) throw DbError("db: empty SQL statement");
  if (has_another_statement(conn, tail, sql.data() + sql.size())) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    throw DbError("db: only one SQL statement per call (found more after the first ';')");
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

StatementLease::~StatementLease() {
  // reset() repeats the last step's error code, which was already reported.
  sqlite3_reset(s_->get());
  sqlite3_clear_bindings(s_->get());
  s_->in_use = false;
}

bool StatementLease::step() {
  sqlite3_stmt* st = s_->get();
  std::unique_lock<std::mutex> writer;
  if (!sqlite3_stmt_readonly(st) && sqlite3_get_autocommit(sqlite3_db_handle(st))) {
    writer = std::unique_lock<std::mutex>(writer_mutex());  // an autocommit write
  }
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  raise(conn(), rc);
}

/* -- Connection ---------------------------------------------------------- */

Connection::Connection(const std::string& path, int busy_timeout_ms)
    : db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, busy_timeout_ms) {
  // WAL is a property of the file and sticks; configure() normally set it
  // already, and re-setting it needs an exclusive lock, so only set it if missing.
  std::string mode = db_.execAndGet("PRAGMA journal_mode").getString();
  if (mode != "wal") {
    mode = db_.execAndGet("PRAGMA journal_mode=WAL").getString();
    if (mode != "wal") throw DbError("db: cannot use WAL journal mode for " + path + " (got " + mode + ")");
  }
  sqlite3_set_authorizer(handle(), &Connection::authorize, this);
  run("PRAGMA foreign_keys=ON");
  // In WAL mode NORMAL syncs at checkpoints: a process crash loses nothing, a
  // power cut may lose the latest commits but never corrupts the file.
  run("PRAGMA synchronous=NORMAL");
}

Connection::~Connection() {
  index_.clear();
  lru_.clear();
  // Closing with a transaction open would roll it back anyway; say so explicitly.
  control_ = true;
  if (!sqlite3_get_autocommit(handle())) sqlite3_exec(handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

int Connection::authorize(void* self, int action, const char*, const char*, const char*, const char*) {
  if (action != SQLITE_TRANSACTION && action != SQLITE_SAVEPOINT) return SQLITE_OK;
  return static_cast<Connection*>(self)->control_ ? SQLITE_OK : SQLITE_DENY;
}

void Connection::control(const std::string& sql) {
  control_ = true;
  try {
    run(sql.c_str());
  } catch (...) {
    control_ = false;
    throw;
  }
  control_ = false;
}

void Connection::run(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(handle(), sql, nullptr, nullptr, &err);
  if (rc == SQLITE_AUTH) {
    sqlite3_free(err);
    throw DbError(kNoTxInSql);
  }
  if (rc != SQLITE_OK) {
    std::string msg = std::string("db: ") + (err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    throw DbError(msg);
  }
}

void Connection::run_script(const std::string& sql) { run(sql.c_str()); }

StatementLease Connection::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = index_.find(key);
  if (it != index_.end()) {
    if (it->second->second->in_use) return StatementLease(std::make_shared<Statement>(handle(), sql, false));
    lru_.splice(lru_.begin(), lru_, it->second);
    ++hits_;
    return StatementLease(it->second->second);
  }
  auto stmt = std::make_shared<Statement>(handle(), sql, true);
  if (lru_.size() >= kCacheCapacity) {
    // A leased statement stays alive through its lease's shared_ptr.
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  lru_.emplace_front(std::move(key), stmt);
  index_[lru_.front().first] = lru_.begin();
  return StatementLease(std::move(stmt));
}

void Connection::begin(std::unique_lock<std::mutex> held) {
  if (depth_ == 0) {
    // IMMEDIATE takes the write lock up front: a deferred transaction that
    // reads and then writes can fail with SQLITE_BUSY without waiting.
    writer_ = held.owns_lock() ? std::move(held) : std::unique_lock<std::mutex>(writer_mutex());
    try {
      control("BEGIN IMMEDIATE");
    } catch (...) {
      writer_.unlock();
      throw;
    }
  } else {
    control("SAVEPOINT mr_tx_" + std::to_string(depth_));
  }
  ++depth_;
}

void Connection::commit() {
  if (depth_ <= 0) throw DbError("db: commit without a transaction");
  if (depth_ == 1) {
    control("COMMIT");  // on failure the caller rolls back, which releases the writer lock
    // Depth and the lock object leave the connection before the mutex is
    // freed: the moment it is, another thread may begin on this connection
    // (the shared writer) and must find it at depth 0 with writer_ its own.
    std::unique_lock<std::mutex> release = std::move(writer_);
    --depth_;
    release.unlock();
  } else {
    control("RELEASE mr_tx_" + std::to_string(depth_ - 1));
    --depth_;
  }
}

void Connection::rollback() noexcept {
  if (depth_ <= 0) return;
  --depth_;
  struct Release {  // the outermost rollback always gives the writer lock back
    Connection* c;
    ~Release() {
      if (c->depth_ == 0 && c->writer_.owns_lock()) {
        std::unique_lock<std::mutex> release = std::move(c->writer_);  // see commit()
        release.unlock();
      }
    }
  } release{this};
  // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) roll the whole transaction
  // back on their own; then there is nothing left to undo at any level.
  if (sqlite3_get_autocommit(handle())) return;
  try {
    if (depth_ == 0) {
      control("ROLLBACK");
    } else {
      std::string name = "mr_tx_" + std::to_string(depth_);
      control("ROLLBACK TO " + name);
      control("RELEASE " + name);
    }
  } catch (const std::exception& e) {
    log::error("db: rollback failed", {{"error", e.what()}});
  }
}

std::mutex& writer_mutex() {
  static std::mutex mu;
  return mu;
}

/* -- Process settings and the thread's connection ------------------------ */

namespace {

std::mutex g_mu;
std::string g_path;
int g_busy_timeout_ms = 5000;
// Bumped by configure(); a thread reopens when its connection is older.
std::atomic<uint64_t> g_generation{0};

// SQLiteCpp throws SQLite::Exception; callers expect DbError's "db: " prefix.
std::unique_ptr<Connection> open_connection(const std::string& path, int busy_timeout_ms) {
  try {
    return std::make_unique<Connection>(path, busy_timeout_ms);
  } catch (const DbError&) {
    throw;
  } catch (const std::exception& e) {
    throw DbError("db: cannot open " + path + ": " + e.what());
  }
}

struct ThreadSlot {
  std::unique_ptr<Connection> conn;
  uint64_t generation = 0;
};
thread_local ThreadSlot t_slot;

}  // namespace

void configure(const std::string& path, int busy_timeout_ms) {
  if (path.empty()) throw DbError("db: empty database path");
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  // Switch the file to WAL once, here, before threads race to do it.
  open_connection(path, busy_timeout_ms).reset();
  std::lock_guard lock(g_mu);
  g_path = path;
  g_busy_timeout_ms = busy_timeout_ms;
  g_generation.fetch_add(1, std::memory_order_release);
}

std::string path() {
  std::lock_guard lock(g_mu);
  return g_path;
}

void ensure_configured() {
  if (g_generation.load(std::memory_order_acquire) != 0) return;
  // Two threads may both get here; configuring twice with the same values is harmless.
  const auto& cfg = config::current();
  configure(path_from_config(cfg), static_cast<int>(cfg.integer("db.busy_timeout_ms")));
}

// -- The shared writer connection -------------------------------------------
//
// Every outermost transaction of the process runs on one connection, passed
// from thread to thread under the writer mutex (transactions are serialised by
// it anyway). A connection that made the last commit itself keeps its page
// cache; per-thread connections would each find the database changed by the
// others and re-read their pages (13 preads per job submission, bench/jobs).
// Reads outside transactions stay on the thread's own connection.
namespace {

struct WriterSlot {
  std::unique_ptr<Connection> conn;
  uint64_t generation = 0;
};
WriterSlot g_writer;                      // guarded by writer_mutex()
thread_local Connection* t_tx = nullptr;  // the connection of this thread's open transaction

}  // namespace

Connection& begin_transaction() {
  if (t_tx) {  // nested: a savepoint on the same connection
    t_tx->begin();
    return *t_tx;
  }
  uint64_t gen = g_generation.load(std::memory_order_acquire);
  if (gen == 0) {
    ensure_configured();
    gen = g_generation.load(std::memory_order_acquire);
  }
  std::unique_lock<std::mutex> lock(writer_mutex());
  if (!g_writer.conn || g_writer.generation != gen) {
    std::string p;
    int timeout;
    {
      std::lock_guard l(g_mu);
      p = g_path;
      timeout = g_busy_timeout_ms;
    }
    g_writer.conn.reset();
    g_writer.conn = open_connection(p, timeout);
    g_writer.generation = gen;
  }
  Connection& c = *g_writer.conn;
  c.begin(std::move(lock));
  t_tx = &c;
  return c;
}

// Whether this was the outermost level is read before the call: once the
// writer mutex is free, depth() belongs to whichever thread begins next.
void commit_transaction(Connection& c) {
  bool outermost = c.depth() == 1;
  c.commit();
  if (outermost && t_tx == &c) t_tx = nullptr;
}

void rollback_transaction(Connection& c) noexcept {
  bool outermost = c.depth() == 1;
  c.rollback();
  if (outermost && t_tx == &c) t_tx = nullptr;
}

Connection& thread_connection() {
  if (t_tx) return *t_tx;
  uint64_t gen = g_generation.load(std::memory_order_acquire);
  if (gen == 0) {
    ensure_configured();
    gen = g_generation.load(std::memory_order_acquire);
  }
  ThreadSlot& slot = t_slot;
  // An open transaction keeps its connection even across a reconfigure.
  if (slot.conn && (slot.generation == gen || slot.conn->depth() > 0)) return *slot.conn;
  std::string p;
  int timeout;
  {
    std::lock_guard lock(g_mu);
    p = g_path;
    timeout = g_busy_timeout_ms;
  }
  slot.conn.reset();
  slot.conn = open_connection(p, timeout);
  slot.generation = gen;
  return *slot.conn;
}

void close_thread_connection() { t_slot.conn.reset(); }

}  // namespace mr::db
