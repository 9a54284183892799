// db/db.cpp — set-up from configuration and the C++ face (exec, query, transaction).
#include "db/db.hpp"

#include <filesystem>

#include "config/config.hpp"
#include "db/connection.hpp"
#include "log/log.hpp"

namespace fs = std::filesystem;

namespace mr::db {

/* -- Set-up -------------------------------------------------------------- */

namespace {

// `data` is filled by the CLI; a bare Config (tests, embedding) leaves it empty.
fs::path data_dir(const config::Config& cfg) {
  std::string data = cfg.str("data");
  return data.empty() ? fs::path(cfg.str("root")) / "var" : fs::path(data);
}

}  // namespace

std::string path_from_config(const config::Config& cfg) {
  std::string p = cfg.str("db.path");
  return p.empty() ? (data_dir(cfg) / "moonreel.db").string() : p;
}

std::string migrations_from_config(const config::Config& cfg) {
  std::string m = cfg.str("db.migrations");
  return m.empty() ? (fs::path(cfg.str("root")) / "migrations").string() : m;
}

MigrationResult setup_from_config(const config::Config& cfg) {
  std::string file = path_from_config(cfg);
  std::string dir = migrations_from_config(cfg);
  configure(file, static_cast<int>(cfg.integer("db.busy_timeout_ms")));
  MigrationResult r = migrate(dir);
  log::info("database ready", {{"path", file},
                               {"migrations", dir},
                               {"applied", r.applied},
                               {"version", r.current_version}});
  return r;
}

/* -- C++ face ------------------------------------------------------------ */

namespace {

void bind_all(const StatementLease& st, const std::vector<Value>& params) {
  sqlite3_stmt* s = st.get();
  int want = sqlite3_bind_parameter_count(s);
  if (want != static_cast<int>(params.size()))
    throw DbError("db: " + std::to_string(params.size()) + " parameters given, the statement takes " +
                  std::to_string(want));
  for (int i = 0; i < want; ++i) {
    const Value& v = params[static_cast<size_t>(i)];
    int rc = SQLITE_OK;
    if (std::holds_alternative<long long>(v)) {
      rc = sqlite3_bind_int64(s, i + 1, std::get<long long>(v));
    } else if (std::holds_alternative<double>(v)) {
      rc = sqlite3_bind_double(s, i + 1, std::get<double>(v));
    } else if (std::holds_alternative<std::string>(v)) {
      const auto& t = std::get<std::string>(v);
      rc = sqlite3_bind_text64(s, i + 1, t.data(), t.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      rc = sqlite3_bind_null(s, i + 1);
    }
    if (rc != SQLITE_OK) raise(st.conn(), rc);
  }
}

Value column_value(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER:
      return static_cast<long long>(sqlite3_column_int64(s, i));
    case SQLITE_FLOAT:
      return sqlite3_column_double(s, i);
    case SQLITE_NULL:
      return nullptr;
    default: {
      const void* p = sqlite3_column_blob(s, i);
      return std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, i)));
    }
  }
}

}  // namespace

ExecResult exec(std::string_view sql, const std::vector<Value>& params) {
  Connection& c = thread_connection();
  ExecResult r;
  {
    auto st = c.prepare(sql);
    bind_all(st, params);
    sqlite3_int64 before = sqlite3_total_changes64(c.handle());
    while (st.step()) {
    }
    // sqlite3_changes() keeps the count of the last DML statement, so a
    // CREATE or SELECT would report someone else's rows without this check.
    if (sqlite3_total_changes64(c.handle()) != before) r.changes = sqlite3_changes64(c.handle());
    r.last_insert_id = sqlite3_last_insert_rowid(c.handle());
  }
  return r;
}

std::vector<Row> query(std::string_view sql, const std::vector<Value>& params) {
  Connection& c = thread_connection();
  std::vector<Row> rows;
  {
    auto st = c.prepare(sql);
    bind_all(st, params);
    while (st.step()) {
      Row row;
      int n = sqlite3_column_count(st.get());
      for (int i = 0; i < n; ++i) row[sqlite3_column_name(st.get(), i)] = column_value(st.get(), i);
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

void transaction(const std::function<void()>& fn) {
  Connection& c = begin_transaction();
  try {
    fn();
    commit_transaction(c);
  } catch (...) {
    rollback_transaction(c);
    throw;
  }
}

}  // namespace mr::db
