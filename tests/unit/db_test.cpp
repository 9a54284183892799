// tests/unit/db_test.cpp — the db primitive: connection settings, migrations, the statement cache,
// the Lua face (query / exec / tx), parameter binding and concurrent writers.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "config/config.hpp"
#include "db/connection.hpp"
#include "db/db.hpp"
#include "db/migrate.hpp"
#include "runtime/lua_state.hpp"

namespace fs = std::filesystem;
using namespace mr;

namespace {

// A fresh folder with a configured database file in it, removed afterwards.
struct TempDb {
  fs::path dir;
  fs::path file;

  TempDb() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("moonreel-db-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir);
    file = dir / "sub" / "test.db";  // configure() creates the parent
    db::configure(file.string(), 5000);
  }
  ~TempDb() {
    db::close_thread_connection();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path migrations(const std::vector<std::pair<std::string, std::string>>& files) const {
    fs::path m = dir / "migrations";
    fs::create_directories(m);
    for (const auto& [name, sql] : files) std::ofstream(m / name) << sql;
    return m;
  }
};

std::string text(const db::Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<long long>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  return "NULL";
}

long long scalar(const std::string& sql) {
  auto rows = db::query(sql);
  REQUIRE(rows.size() == 1);
  return std::get<long long>(rows[0].begin()->second);
}

// Runs a chunk; "ok:" + tostring(first result), or "err:" + the error message.
std::string run(runtime::LuaState& s, const std::string& code) {
  lua_State* L = s.get();
  lua_settop(L, 0);
  std::string prelude = "local db = require('moonreel.db'); local json = require('moonreel.json'); ";
  if (luaL_loadstring(L, (prelude + code).c_str()) != 0) return std::string("load:") + lua_tostring(L, -1);
  if (lua_pcall(L, 0, 1, 0) != 0) {
    const char* m = lua_tostring(L, -1);
    return std::string("err:") + (m ? m : luaL_typename(L, -1));
  }
  lua_getglobal(L, "tostring");
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  return std::string("ok:") + lua_tostring(L, -1);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

/* -- Connection ------------------------------------------------------------ */

TEST_CASE("db: a thread's connection runs in WAL mode with foreign keys and a busy timeout", "[db]") {
  TempDb t;
  CHECK(fs::exists(t.file));
  CHECK(db::path() == t.file.string());
  CHECK(text(db::query("PRAGMA journal_mode")[0].begin()->second) == "wal");
  CHECK(scalar("PRAGMA foreign_keys") == 1);
  CHECK(scalar("PRAGMA synchronous") == 1);  // NORMAL
  CHECK(scalar("PRAGMA busy_timeout") == 5000);
}

TEST_CASE("db: foreign keys are enforced", "[db]") {
  TempDb t;
  db::exec("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
  db::exec("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id))");
  db::exec("INSERT INTO parent (id) VALUES (1)");
  CHECK(db::exec("INSERT INTO child (parent_id) VALUES (?)", {1LL}).changes == 1);
  try {
    db::exec("INSERT INTO child (parent_id) VALUES (?)", {2LL});
    FAIL("expected a foreign key error");
  } catch (const db::DbError& e) {
    CHECK(std::string(e.what()) == "db: FOREIGN KEY constraint failed");
  }
}

TEST_CASE("db: exec reports changes and the last id; DDL reports no changes", "[db]") {
  TempDb t;
  CHECK(db::exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").changes == 0);
  auto r = db::exec("INSERT INTO t (v) VALUES (?)", {std::string("a")});
  CHECK(r.changes == 1);
  CHECK(r.last_insert_id == 1);
  db::exec("INSERT INTO t (v) VALUES (?)", {std::string("b")});
  CHECK(db::exec("UPDATE t SET v = 'c'").changes == 2);
  CHECK(db::exec("SELECT * FROM t").changes == 0);
}

TEST_CASE("db: C++ transaction() commits, or rolls back and rethrows", "[db]") {
  TempDb t;
  db::exec("CREATE TABLE t (v INTEGER)");
  db::transaction([] { db::exec("INSERT INTO t VALUES (1)"); });
  CHECK_THROWS_WITH(db::transaction([] {
                      db::exec("INSERT INTO t VALUES (2)");
                      throw std::runtime_error("boom");
                    }),
                    "boom");
  CHECK(scalar("SELECT COUNT(*) FROM t") == 1);
  CHECK(db::thread_connection().depth() == 0);
}

TEST_CASE("db: configure() again moves threads to the new file", "[db]") {
  TempDb a;
  db::exec("CREATE TABLE only_in_a (x)");
  TempDb b;
  CHECK(db::path() == b.file.string());
  CHECK(db::query("SELECT name FROM sqlite_master WHERE name = 'only_in_a'").empty());
}

/* -- Statement cache ------------------------------------------------------- */

TEST_CASE("db: prepared statements are cached, reused and bounded", "[db]") {
  TempDb t;
  auto& c = db::thread_connection();
  db::exec("CREATE TABLE t (v INTEGER)");
  uint64_t hits = c.cache_hits();
  for (int i = 0; i < 5; ++i) db::exec("INSERT INTO t (v) VALUES (?)", {static_cast<long long>(i)});
  CHECK(c.cache_hits() - hits == 4);
  CHECK(scalar("SELECT SUM(v) FROM t") == 10);  // bindings were replaced, not mixed

  for (int i = 0; i < 300; ++i) db::query("SELECT " + std::to_string(i) + " AS n");
  CHECK(c.cached_statements() == db::Connection::kCacheCapacity);
}

TEST_CASE("db: a statement leased twice at once gets a fresh copy", "[db]") {
  TempDb t;
  auto& c = db::thread_connection();
  auto a = c.prepare("SELECT 1");
  auto b = c.prepare("SELECT 1");
  CHECK(a.get() != b.get());
  CHECK(a.step());
  CHECK(b.step());
}

TEST_CASE("db: a cached statement picks up schema changes", "[db]") {
  TempDb t;
  db::exec("CREATE TABLE t (a INTEGER)");
  db::exec("INSERT INTO t VALUES (1)");
  CHECK(db::query("SELECT * FROM t")[0].size() == 1);
  db::exec("ALTER TABLE t ADD COLUMN b TEXT");
  CHECK(db::query("SELECT * FROM t")[0].size() == 2);
}

/* -- Migrations ------------------------------------------------------------ */

TEST_CASE("db: migrations apply in numeric order, once, and are recorded", "[db][migrate]") {
  TempDb t;
  auto dir = t.migrations({
      {"10_later.sql", "ALTER TABLE things ADD COLUMN size INTEGER;"},
      {"2_things.sql", "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT);\nCREATE INDEX things_name ON things(name);"},
      {"README.md", "not a migration"},
  });
  auto r = db::migrate(dir.string());
  CHECK(r.applied == 2);
  CHECK(r.current_version == 10);
  auto rows = db::query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
  REQUIRE(rows.size() == 2);
  CHECK(text(rows[0]["name"]) == "2_things.sql");
  CHECK(text(rows[1]["name"]) == "10_later.sql");
  CHECK(text(rows[0]["applied_at"]).ends_with("Z"));
  db::exec("INSERT INTO things (name, size) VALUES ('a', 1)");

  auto again = db::migrate(dir.string());
  CHECK(again.applied == 0);
  CHECK(again.current_version == 10);

  t.migrations({{"11_more.sql", "CREATE TABLE more (x);"}});
  CHECK(db::migrate(dir.string()).applied == 1);
}

TEST_CASE("db: a failing migration changes nothing and keeps the earlier ones", "[db][migrate]") {
  TempDb t;
  auto dir = t.migrations({
      {"001_ok.sql", "CREATE TABLE ok (x);"},
      {"002_bad.sql", "CREATE TABLE half (x);\nINSERT INTO ok VALUES (1);\nINSERT INTO missing VALUES (1);"},
      {"003_after.sql", "CREATE TABLE after (x);"},
  });
  try {
    db::migrate(dir.string());
    FAIL("expected a MigrationError");
  } catch (const db::MigrationError& e) {
    std::string msg = e.what();
    CHECK(contains(msg, "002_bad.sql"));
    CHECK(contains(msg, "no such table: missing"));
  }
  CHECK(scalar("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('half', 'after')") == 0);
  CHECK(scalar("SELECT COUNT(*) FROM ok") == 0);
  CHECK(scalar("SELECT MAX(version) FROM schema_migrations") == 1);
  CHECK(db::thread_connection().depth() == 0);
}

TEST_CASE("db: migration folders with clashing or bad names are refused before anything runs", "[db][migrate]") {
  TempDb t;
  SECTION("duplicate versions") {
    auto dir = t.migrations({{"001_a.sql", "CREATE TABLE a (x);"}, {"1_b.sql", "CREATE TABLE b (x);"}});
    CHECK_THROWS_WITH(db::migrate(dir.string()), Catch::Contains("share version 1"));
  }
  SECTION("a name without a version") {
    auto dir = t.migrations({{"001_a.sql", "CREATE TABLE a (x);"}, {"schema.sql", ""}});
    CHECK_THROWS_WITH(db::migrate(dir.string()), Catch::Contains("NNN_description.sql"));
  }
  CHECK(scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'a'") == 0);
}

TEST_CASE("db: a missing migrations folder is nothing to do", "[db][migrate]") {
  TempDb t;
  auto r = db::migrate((t.dir / "nope").string());
  CHECK(r.applied == 0);
  CHECK(r.current_version == 0);
}

TEST_CASE("db: a migration may not manage its own transaction", "[db][migrate]") {
  TempDb t;
  auto dir = t.migrations({{"001_tx.sql", "CREATE TABLE a (x); COMMIT; CREATE TABLE b (x);"}});
  CHECK_THROWS_WITH(db::migrate(dir.string()), Catch::Contains("001_tx.sql") && Catch::Contains("use db.tx"));
  CHECK(scalar("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('a', 'b')") == 0);
  CHECK(db::thread_connection().depth() == 0);
}

TEST_CASE("db: a migration can rebuild a parent table without cascading deletes", "[db][migrate]") {
  TempDb t;
  auto dir = t.migrations({{"001_tables.sql",
                            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);"
                            "CREATE TABLE child (id INTEGER PRIMARY KEY,"
                            " parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE);"}});
  db::migrate(dir.string());
  db::exec("INSERT INTO parent (id, name) VALUES (1, 'p')");
  db::exec("INSERT INTO child (parent_id) VALUES (1)");
  t.migrations({{"002_rebuild_parent.sql",
                 "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');"
                 "INSERT INTO parent_new (id, name) SELECT id, name FROM parent;"
                 "DROP TABLE parent;"
                 "ALTER TABLE parent_new RENAME TO parent;"}});
  CHECK(db::migrate(dir.string()).applied == 1);
  CHECK(scalar("SELECT COUNT(*) FROM child") == 1);
  CHECK(scalar("PRAGMA foreign_keys") == 1);

  t.migrations({{"003_orphan.sql", "INSERT INTO child (parent_id) VALUES (42);"}});
  CHECK_THROWS_WITH(db::migrate(dir.string()),
                    Catch::Contains("003_orphan.sql") && Catch::Contains("foreign key violation in table child"));
  CHECK(scalar("SELECT COUNT(*) FROM child") == 1);
  CHECK(scalar("PRAGMA foreign_keys") == 1);
}

TEST_CASE("db: setup_from_config resolves defaults and migrates", "[db][migrate]") {
  TempDb t;
  config::Config cfg;
  cfg.set("data", (t.dir / "data").string(), "test");
  cfg.set("root", t.dir.string(), "test");
  CHECK(db::path_from_config(cfg) == (t.dir / "data" / "moonreel.db").string());
  CHECK(db::migrations_from_config(cfg) == (t.dir / "migrations").string());
  t.migrations({{"001_a.sql", "CREATE TABLE a (x);"}});
  auto r = db::setup_from_config(cfg);
  CHECK(r.applied == 1);
  CHECK(db::path() == (t.dir / "data" / "moonreel.db").string());
  cfg.set("db.path", (t.dir / "x.db").string(), "test");
  CHECK(db::path_from_config(cfg) == (t.dir / "x.db").string());
}

/* -- Lua face -------------------------------------------------------------- */

TEST_CASE("db (Lua): query returns tagged rows; exec returns changes and the last id", "[db][lua]") {
  TempDb t;
  runtime::LuaState s;
  CHECK(run(s, "return select('#', db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)'))") ==
        "ok:2");
  CHECK(run(s, "local n, id = db.exec('INSERT INTO t (name, score) VALUES (?, ?)', 'a', 1.5); return n .. ',' .. id") ==
        "ok:1,1");
  CHECK(run(s, "local _, id = db.exec('INSERT INTO t (name) VALUES (?)', 'b'); return id") == "ok:2");
  CHECK(run(s, "return json.encode(db.query('SELECT id, name, score FROM t ORDER BY id'))") ==
        "ok:[{\"id\":1,\"name\":\"a\",\"score\":1.5},{\"id\":2,\"name\":\"b\",\"score\":null}]");
  CHECK(run(s, "return json.encode(db.query('SELECT * FROM t WHERE id > 99'))") == "ok:[]");
  CHECK(run(s, "return db.query_one('SELECT name FROM t ORDER BY id DESC').name") == "ok:b");
  CHECK(run(s, "return db.query_one('SELECT name FROM t WHERE id = ?', 42)") == "ok:nil");
  CHECK(run(s, "return db.query_one('SELECT score FROM t WHERE id = 2').score == json.null") == "ok:true");
  CHECK(run(s, "return db.path()") == "ok:" + t.file.string());
}

TEST_CASE("db (Lua): parameters bind by type", "[db][lua]") {
  TempDb t;
  runtime::LuaState s;
  auto type_of = [&](const std::string& arg) {
    return run(s, "return db.query_one('SELECT typeof(?) AS t', " + arg + ").t");
  };
  CHECK(type_of("nil") == "ok:null");
  CHECK(type_of("json.null") == "ok:null");
  CHECK(type_of("true") == "ok:integer");
  CHECK(type_of("3") == "ok:integer");
  CHECK(type_of("-2^53") == "ok:integer");
  CHECK(type_of("2^60") == "ok:real");
  CHECK(type_of("3.25") == "ok:real");
  CHECK(type_of("'héllo'") == "ok:text");
  CHECK(type_of("'\\255\\0x'") == "ok:blob");
  CHECK(run(s, "return db.query_one('SELECT ? AS a, ? AS b', true, false).b") == "ok:0");
  CHECK(run(s, "return db.query_one('SELECT ? AS v', '\\255\\0x').v == '\\255\\0x'") == "ok:true");
  CHECK(run(s, "return db.query_one('SELECT ? + 1 AS v', 2^40).v == 2^40 + 1") == "ok:true");
}

TEST_CASE("db (Lua): bad parameters and bad SQL are Lua errors that say what to do", "[db][lua]") {
  TempDb t;
  runtime::LuaState s;
  std::string e = run(s, "local rows = db.query('SELECT ?, ?, ?', 1, 2, {}); return rows");
  CHECK(contains(e, "err:"));
  CHECK(contains(e, "db.query: parameter 3 is a table; encode it (json.encode) first"));
  CHECK(contains(e, "[string \"local db"));  // the caller's file:line (not for tail calls)
  CHECK(contains(run(s, "return db.exec('SELECT ?', print)"), "db.exec: parameter 1 is a function"));
  CHECK(contains(run(s, "return db.query_one('SELECT ?, ?', 1)"), "1 parameter given, the statement has 2 placeholders"));
  CHECK(contains(run(s, "return db.query('SELECT 1', 1)"), "1 parameter given, the statement has 0 placeholders"));
  CHECK(contains(run(s, "return db.query('SELECT * FROM nope')"), "db: no such table: nope"));
  CHECK(contains(run(s, "return db.query('SELEC 1')"), "db: near \"SELEC\": syntax error"));
  CHECK(contains(run(s, "return db.query()"), "bad argument #1"));
  CHECK(contains(run(s, "return db.query('  -- nothing')"), "db: empty SQL statement"));
}

TEST_CASE("db (Lua): one statement per call", "[db][lua]") {
  TempDb t;
  runtime::LuaState s;
  run(s, "db.exec('CREATE TABLE t (x)')");
  CHECK(contains(run(s, "return db.exec('INSERT INTO t VALUES (1); DROP TABLE t')"), "only one SQL statement"));
  CHECK(contains(run(s, "return db.exec('INSERT INTO t VALUES (1); garbage')"), "only one SQL statement"));
  CHECK(run(s, "return db.exec('INSERT INTO t VALUES (2);  ;\\n -- done')") == "ok:1");
  CHECK(run(s, "return db.query_one('SELECT COUNT(*) AS n FROM t').n") == "ok:1");
}

TEST_CASE("db (Lua): SQL cannot open or close transactions behind db.tx", "[db][lua]") {
  TempDb t;
  runtime::LuaState s;
  run(s, "db.exec('CREATE TABLE t (x)')");
  CHECK(contains(run(s, "return db.exec('BEGIN')"), "db: SQL may not begin or end transactions"));
  CHECK(contains(run(s, "return db.exec('SAVEPOINT x')"), "use db.tx(fn)"));
  CHECK(contains(run(s, "return db.tx(function() db.exec('COMMIT') end)"), "may not begin or end transactions"));
  CHECK(contains(run(s, "return db.tx(function() db.exec('ROLLBACK') end)"), "may not begin or end transactions"));
  CHECK(db::thread_connection().depth() == 0);
  CHECK(run(s, "db.exec('INSERT INTO t VALUES (1)'); return db.query_one('SELECT COUNT(*) AS n FROM t').n") == "ok:1");
}

TEST_CASE("db (Lua): tx commits and returns fn's results", "[db][lua]") {
  TempDb t;
  runtime::LuaState s;
  run(s, "db.exec('CREATE TABLE t (x)')");
  CHECK(run(s, R"lua(
    local a, b = db.tx(function(p) db.exec('INSERT INTO t VALUES (?)', p); return 'done', 7 end, 5)
    return a .. b .. db.query_one('SELECT x FROM t').x)lua") == "ok:done75");
}

TEST_CASE("db (Lua): tx rolls back on error and re-raises the same value", "[db][lua]") {
  TempDb t;
  runtime::LuaState s;
  run(s, "db.exec('CREATE TABLE t (x)')");
  CHECK(run(s, R"lua(
    local e = { error = { code = 'CONFLICT', message = 'taken' } }
    local ok, got = pcall(db.tx, function() db.exec('INSERT INTO t VALUES (1)'); error(e) end)
    return tostring(not ok and got == e) .. db.query_one('SELECT COUNT(*) AS n FROM t').n)lua") == "ok:true0");
  CHECK(run(s, R"lua(
    local ok, got = pcall(db.tx, function() db.exec('INSERT INTO t VALUES (1)'); error('plain', 0) end)
    return got .. db.query_one('SELECT COUNT(*) AS n FROM t').n)lua") == "ok:plain0");
  // A failing statement inside fn rolls back the earlier ones too.
  CHECK(contains(run(s, "db.tx(function() db.exec('INSERT INTO t VALUES (1)'); db.exec('INSERT INTO nope VALUES (1)') end)"),
                 "no such table: nope"));
  CHECK(run(s, "return db.query_one('SELECT COUNT(*) AS n FROM t').n") == "ok:0");
  CHECK(db::thread_connection().depth() == 0);
}

TEST_CASE("db (Lua): nested tx is a savepoint", "[db][lua]") {
  TempDb t;
  runtime::LuaState s;
  run(s, "db.exec('CREATE TABLE t (x)')");
  CHECK(run(s, R"lua(
    db.tx(function()
      db.exec("INSERT INTO t VALUES ('a')")
      local ok = pcall(db.tx, function() db.exec("INSERT INTO t VALUES ('b')"); error('inner') end)
      assert(not ok)
      db.tx(function() db.exec("INSERT INTO t VALUES ('c')") end)
    end)
    local out = {}
    for _, r in ipairs(db.query('SELECT x FROM t ORDER BY x')) do out[#out + 1] = r.x end
    return table.concat(out, ','))lua") == "ok:a,c");
  CHECK(run(s, R"lua(
    pcall(db.tx, function()
      db.tx(function() db.exec("INSERT INTO t VALUES ('d')") end)
      error('outer')
    end)
    return db.query_one("SELECT COUNT(*) AS n FROM t WHERE x = 'd'").n)lua") == "ok:0");
}

TEST_CASE("db (Lua): NULL and json.null round-trip", "[db][lua]") {
  TempDb t;
  runtime::LuaState s;
  run(s, "db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT)')");
  run(s, "db.exec('INSERT INTO t (a, b) VALUES (?, ?)', nil, json.null)");
  CHECK(run(s, "local r = db.query_one('SELECT a, b FROM t'); return r.a == json.null and r.b == json.null") ==
        "ok:true");
  CHECK(run(s, "return json.encode(db.query_one('SELECT a FROM t'))") == "ok:{\"a\":null}");
  CHECK(run(s, "return db.query_one('SELECT COUNT(*) AS n FROM t WHERE a IS NULL AND b IS NULL').n") == "ok:1");
}

TEST_CASE("db (Lua): a state used from another thread uses that thread's connection", "[db][lua]") {
  TempDb t;
  runtime::LuaState s;
  run(s, "db.exec('CREATE TABLE t (x)')");
  std::string out;
  std::thread([&] {
    out = run(s, "db.exec('INSERT INTO t VALUES (1)'); return db.query_one('SELECT COUNT(*) AS n FROM t').n");
  }).join();
  CHECK(out == "ok:1");
  CHECK(run(s, "return db.query_one('SELECT COUNT(*) AS n FROM t').n") == "ok:1");
}

/* -- Concurrency ----------------------------------------------------------- */

TEST_CASE("db: concurrent writers never see SQLITE_BUSY", "[db][concurrency]") {
  TempDb t;
  db::exec("CREATE TABLE clips (id INTEGER PRIMARY KEY, thread INTEGER NOT NULL, n INTEGER NOT NULL, seen INTEGER)");
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      runtime::LuaState s;
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      // Half the inserts read then write inside db.tx (the lock-upgrade case a
      // deferred transaction gets SQLITE_BUSY on); the rest are plain exec.
      std::string r = run(s, "local th = " + std::to_string(th) + R"lua(
        for i = 1, )lua" + std::to_string(kPerThread) + R"lua( do
          if i % 2 == 0 then
            db.tx(function()
              local seen = db.query_one('SELECT COUNT(*) AS n FROM clips').n
              db.exec('INSERT INTO clips (thread, n, seen) VALUES (?, ?, ?)', th, i, seen)
            end)
          else
            db.exec('INSERT INTO clips (thread, n) VALUES (?, ?)', th, i)
          end
        end
        return 'done')lua");
      if (r != "ok:done") errors[th] = r;
    });
  }
  for (auto& th : threads) th.join();
  for (int th = 0; th < kThreads; ++th) CHECK(errors[th] == "");
  CHECK(scalar("SELECT COUNT(*) FROM clips") == kThreads * kPerThread);
  CHECK(scalar("SELECT COUNT(DISTINCT thread || ':' || n) FROM clips") == kThreads * kPerThread);
}
