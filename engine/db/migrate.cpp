// db/migrate.cpp — applying numbered migrations at start, one transaction each.
#include "db/migrate.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "db/connection.hpp"

namespace fs = std::filesystem;

namespace mr::db {

namespace {

// "012_add_clips.sql" → 12; -1 when the name is not NNN_something.sql.
long long version_of(const std::string& name) {
  size_t digits = 0;
  while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) ++digits;
  if (digits == 0 || digits > 18 || digits + 1 >= name.size() - 4 || name[digits] != '_') return -1;
  return std::stoll(name.substr(0, digits));
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw MigrationError("db: cannot read migration " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool recorded(Connection& c, long long version) {
  auto st = c.prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
  sqlite3_bind_int64(st.get(), 1, version);
  return st.step();
}

long long current_version(Connection& c) {
  auto st = c.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  st.step();
  return sqlite3_column_int64(st.get(), 0);
}

// Foreign keys are off while a migration runs (see migrate()), so check what
// it left behind before committing, as SQLite's table-rebuild recipe does.
void check_foreign_keys(Connection& c) {
  auto st = c.prepare("PRAGMA foreign_key_check");
  if (st.step()) {
    auto col = [&](int i) {
      const unsigned char* t = sqlite3_column_text(st.get(), i);
      return std::string(t ? reinterpret_cast<const char*>(t) : "?");
    };
    throw DbError("db: foreign key violation in table " + col(0) + " (referencing " + col(2) + ")");
  }
}

// Foreign keys on again when migrate() ends, however it ends.
struct ForeignKeysOff {
  Connection& c;
  explicit ForeignKeysOff(Connection& conn) : c(conn) { c.run_script("PRAGMA foreign_keys=OFF"); }
  ~ForeignKeysOff() {
    try {
      c.run_script("PRAGMA foreign_keys=ON");
    } catch (...) {
      // Cannot fail outside a transaction; a new connection turns them on anyway.
    }
  }
};

// Applies one file unless another process got there first; true if applied.
bool apply(Connection& c, const MigrationFile& m) {
  std::string sql = read_file(m.path);
  c.begin();
  try {
    if (recorded(c, m.version)) {
      c.commit();
      return false;
    }
    c.run_script(sql);
    check_foreign_keys(c);
    auto st = c.prepare(
        "INSERT INTO schema_migrations (version, name, applied_at) "
        "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
    sqlite3_bind_int64(st.get(), 1, m.version);
    sqlite3_bind_text(st.get(), 2, m.name.data(), static_cast<int>(m.name.size()), SQLITE_TRANSIENT);
    st.step();
    c.commit();
    return true;
  } catch (const std::exception& e) {
    c.rollback();
    std::string msg = e.what();
    if (msg.starts_with("db: ")) msg = msg.substr(4);
    throw MigrationError("db: migration " + m.name + " failed, nothing from it was applied: " + msg);
  }
}

}  // namespace

std::vector<MigrationFile> list_migrations(const fs::path& dir) {
  std::vector<MigrationFile> files;
  if (!fs::is_directory(dir)) return files;
  std::map<long long, std::string> seen;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (!e.is_regular_file() || !name.ends_with(".sql")) continue;
    long long v = version_of(name);
    if (v < 0)
      throw MigrationError("db: migration file " + (dir / name).string() +
                           " must be named NNN_description.sql (NNN = version number)");
    auto [it, fresh] = seen.emplace(v, name);
    if (!fresh)
      throw MigrationError("db: migrations " + it->second + " and " + name + " share version " + std::to_string(v));
    files.push_back({v, name, e.path()});
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  return files;
}

MigrationResult migrate(const std::string& migrations_dir) {
  // Listing first: a bad folder fails before anything is touched.
  std::vector<MigrationFile> files = list_migrations(migrations_dir);
  Connection& c = thread_connection();
  if (c.depth() != 0) throw MigrationError("db: migrate() inside a transaction");
  c.run_script(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  MigrationResult result;
  // With foreign keys on, a migration that rebuilds a parent table (create
  // new, copy, drop old, rename) would cascade-delete its children on the DROP.
  // The pragma is a no-op inside a transaction, hence out here.
  ForeignKeysOff fk_off(c);
  for (const auto& m : files)
    if (!recorded(c, m.version) && apply(c, m)) ++result.applied;
  result.current_version = current_version(c);
  return result;
}

}  // namespace mr::db
