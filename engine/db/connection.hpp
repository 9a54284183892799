// db/connection.hpp — the per-thread SQLite connection and its prepared-statement cache.
//
// Contract: thread_connection() returns this thread's connection, opening it
// on first use (and again after a new configure()). A Connection is used by its
// thread only, so it takes no locks (SQLITE_OPEN_NOMUTEX). Statements come out
// of prepare() as leases; a lease resets the statement and clears its bindings
// when it ends, so no statement ever holds a read snapshot open between calls
// (that would pin the WAL and stall checkpoints). Statements are raw
// sqlite3_stmt rather than SQLite::Statement because we need the prepare tail
// (to refuse a second statement) and live column counts after a schema change.
// An authorizer refuses transaction control in SQL text (BEGIN, COMMIT,
// ROLLBACK, SAVEPOINT, RELEASE): transactions belong to begin()/commit(), so a
// request can never leave its thread's connection inside a transaction and a
// migration file can never commit half of itself.
#pragma once
#include <sqlite3.h>

#include <SQLiteCpp/Database.h>
#include <cstdint>
#include <mutex>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "db/db.hpp"

namespace mr::db {

// Throws DbError("db: <sqlite message>") for the last failure on `conn`.
[[noreturn]] void raise(sqlite3* conn, int rc);

class Statement {
 public:
  // Prepares exactly one statement; throws on errors, on empty SQL and on a
  // trailing second statement.
  Statement(sqlite3* conn, std::string_view sql, bool persistent);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  bool in_use = false;

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class StatementLease {
 public:
  explicit StatementLease(std::shared_ptr<Statement> s) : s_(std::move(s)) { s_->in_use = true; }
  ~StatementLease();
  StatementLease(const StatementLease&) = delete;
  StatementLease& operator=(const StatementLease&) = delete;

  sqlite3_stmt* get() const { return s_->get(); }
  sqlite3* conn() const { return sqlite3_db_handle(s_->get()); }
  // sqlite3_step: true on a row, false when done; throws on error.
  bool step();

 private:
  std::shared_ptr<Statement> s_;
};

class Connection {
 public:
  static constexpr size_t kCacheCapacity = 256;

  Connection(const std::string& path, int busy_timeout_ms);
  ~Connection();

  sqlite3* handle() const { return db_.getHandle(); }

  // A statement from the cache (least recently used one evicted past the
  // capacity). If the cached one is already leased — a __gc finalizer running
  // SQL in the middle of a query — a fresh, uncached one is returned.
  StatementLease prepare(std::string_view sql);

  // Runs SQL text that may hold several statements and no parameters (migrations).
  void run_script(const std::string& sql);

  // Nesting: depth 0 → BEGIN IMMEDIATE, deeper → SAVEPOINT. If commit() throws,
  // the transaction is still open and the caller must rollback().
  // `held`: the writer mutex, already locked by the caller (begin_transaction).
  void begin(std::unique_lock<std::mutex> held = {});
  void commit();
  void rollback() noexcept;  // logs a failure rather than throwing: it runs on error paths
  int depth() const { return depth_; }

  size_t cached_statements() const { return lru_.size(); }
  uint64_t cache_hits() const { return hits_; }

 private:
  void run(const char* sql);
  // run() for our own BEGIN / COMMIT / SAVEPOINT, which the authorizer lets through.
  void control(const std::string& sql);
  static int authorize(void* self, int action, const char*, const char*, const char*, const char*);

  SQLite::Database db_;
  // Most recently used first; declared after db_ so statements finalize before close.
  using Entry = std::pair<std::string, std::shared_ptr<Statement>>;
  std::list<Entry> lru_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  uint64_t hits_ = 0;
  int depth_ = 0;
  bool control_ = false;
  std::unique_lock<std::mutex> writer_;  // held from BEGIN to COMMIT / ROLLBACK
};

// This thread's connection — the shared writer connection while this thread
// has a transaction open; configures the default from config::current() when
// configure() was never called.
Connection& thread_connection();

// Opens (or nests) a transaction on the process's shared writer connection,
// taking the writer mutex; the connection serves this thread until the
// outermost commit or rollback.
Connection& begin_transaction();
void commit_transaction(Connection& c);
void rollback_transaction(Connection& c) noexcept;

// Configures the default from config::current() if nothing is configured yet.
void ensure_configured();

// Writers of this process queue here before taking SQLite's write lock: they
// wait on a mutex (woken as soon as the lock is free) instead of SQLite's busy
// handler, which sleeps on a 1–100 ms ladder. Other processes still meet the
// busy timeout.
std::mutex& writer_mutex();

}  // namespace mr::db
