// db/db.hpp — the database primitive: SQLite (through SQLiteCpp) in WAL mode, one connection per thread.
//
// Contract:
//   * configure() once at start, before threads run SQL. Every thread that runs
//     SQL gets its own connection, opened lazily on first use: journal_mode=WAL,
//     foreign_keys=ON, synchronous=NORMAL, busy_timeout. A connection belongs to
//     a thread, not to a Lua state, because HTTP threads lease different states
//     over time (design decision 2). If configure() was never called, the first
//     use configures the default from config::current().
//   * Values are only ever bound as parameters (`?`); one SQL statement per call.
//     Prepared statements are cached per connection.
//   * Transactions nest: the outermost is BEGIN IMMEDIATE (so writers queue on
//     the busy timeout instead of failing with SQLITE_BUSY on a lock upgrade),
//     inner ones are savepoints. SQL may not open or close transactions itself.
//   * migrate() applies numbered `NNN_name.sql` files in order, each in its own
//     transaction, recorded in `schema_migrations`; a failing file changes
//     nothing and throws a MigrationError naming the file.
//   * Every error is a DbError whose message starts with "db: " (SQLite's text).
// The Lua face is `moonreel.db` (db_lua.cpp). Nothing here knows a schema
// (design decision 1); a PostgreSQL backend would implement this same surface.
#pragma once
#include <lua.hpp>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mr::config {
class Config;
}

namespace mr::db {

struct DbError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct MigrationError : DbError {
  using DbError::DbError;
};

/* -- Set-up ------------------------------------------------------------- */

// Process-wide; creates the parent folder and switches the file to WAL.
// Threads reopen their connection on next use after a new configure().
void configure(const std::string& path, int busy_timeout_ms);
// The configured file ("" until configured).
std::string path();
// Drops this thread's connection and statement cache (tests; thread exit does it too).
void close_thread_connection();

struct MigrationResult {
  int applied = 0;                // files applied by this call
  long long current_version = 0;  // highest recorded version (0 = none)
};
// A missing folder means nothing to do.
MigrationResult migrate(const std::string& migrations_dir);

// Defaults: db.path or <data>/moonreel.db; db.migrations or <root>/migrations.
std::string path_from_config(const config::Config& cfg);
std::string migrations_from_config(const config::Config& cfg);
// configure() + migrate() from cfg, logged; throws MigrationError on a failed migration.
MigrationResult setup_from_config(const config::Config& cfg);

/* -- C++ access (engine code, tests) ------------------------------------- */

// NULL, INTEGER, REAL, TEXT (BLOBs read back as text bytes).
using Value = std::variant<std::nullptr_t, long long, double, std::string>;
using Row = std::map<std::string, Value>;

struct ExecResult {
  long long changes = 0;         // rows changed by this statement
  long long last_insert_id = 0;  // rowid of this connection's latest INSERT
};

ExecResult exec(std::string_view sql, const std::vector<Value>& params = {});
std::vector<Row> query(std::string_view sql, const std::vector<Value>& params = {});
// Runs fn in a (nested) transaction: commit on return, roll back and rethrow on throw.
void transaction(const std::function<void()>& fn);

// luaopen for `require("moonreel.db")`.
int luaopen_db(lua_State* L);

}  // namespace mr::db
