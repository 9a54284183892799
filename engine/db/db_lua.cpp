// db/db_lua.cpp — `moonreel.db`, the Lua face of the database primitive.
//
//   local rows = db.query("SELECT id, name FROM projects WHERE owner = ? ORDER BY name", owner)
//   local row  = db.query_one("SELECT * FROM projects WHERE id = ?", id)   -- or nil
//   local changes, last_id = db.exec("UPDATE projects SET name = ? WHERE id = ?", name, id)
//   local clip = db.tx(function() ... return value end)                    -- returns fn's results
//   db.path()                                                              -- the database file
//
// Rows are tables tagged as JSON objects inside a list tagged as a JSON array,
// so `json.encode(db.query(...))` gives `[]` for no rows and explicit nulls:
// SQL NULL reads as `json.null`, never as a missing key. INTEGER and REAL read
// as numbers (integers beyond ±2^53 lose precision), TEXT and BLOB as strings.
// Parameters: nil and json.null bind NULL, booleans 1 / 0, integral numbers
// within ±2^53 INTEGER, other numbers REAL, strings TEXT (BLOB when not valid
// UTF-8); tables and other values are refused — encode them first. The number
// of parameters must match the placeholders.
// db.tx(fn, ...) commits when fn returns; when fn raises, it rolls back and
// re-raises the very same error value (tables included). Nested db.tx calls are
// savepoints. fn cannot yield (it runs under a C pcall).
// Errors are Lua errors "file:line: db: <SQLite message>".
#include <lua.hpp>

#include <cmath>

#include "db/connection.hpp"
#include "db/db.hpp"
#include "util/utf8.hpp"
#include "json/json_lua.hpp"
#include "runtime/lua_state.hpp"

namespace mr::db {

namespace {

/* -- Errors -------------------------------------------------------------- */

// Prefixes the Lua caller's "file:line: " to a C++ error, as luaL_error would.
template <int (*F)(lua_State*)>
int located(lua_State* L) {
  try {
    return F(L);
  } catch (const std::exception& e) {
    luaL_where(L, 1);
    std::string msg = std::string(lua_tostring(L, -1)) + e.what();
    lua_pop(L, 1);
    throw DbError(msg);
  }
}

/* -- Parameters ---------------------------------------------------------- */

bool valid_utf8(const unsigned char* p, size_t n) {
  return util::invalid_utf8_at(std::string_view(reinterpret_cast<const char*>(p), n)) == std::string_view::npos;
}

// Binds stack slots first..top to the statement's placeholders.
void bind_args(lua_State* L, const StatementLease& st, int first, const char* api) {
  sqlite3_stmt* s = st.get();
  int given = std::max(0, lua_gettop(L) - first + 1);
  int want = sqlite3_bind_parameter_count(s);
  if (given != want)
    throw DbError(std::string(api) + ": " + std::to_string(given) + " parameter" + (given == 1 ? "" : "s") +
                  " given, the statement has " + std::to_string(want) + " placeholder" + (want == 1 ? "" : "s"));
  constexpr double kMaxExact = 9007199254740992.0;  // 2^53
  for (int i = 1; i <= given; ++i) {
    int idx = first + i - 1;
    int rc = SQLITE_OK;
    switch (lua_type(L, idx)) {
      case LUA_TNIL:
        rc = sqlite3_bind_null(s, i);
        break;
      case LUA_TBOOLEAN:
        rc = sqlite3_bind_int64(s, i, lua_toboolean(L, idx) ? 1 : 0);
        break;
      case LUA_TNUMBER: {
        double d = lua_tonumber(L, idx);
        if (std::floor(d) == d && std::fabs(d) <= kMaxExact)
          rc = sqlite3_bind_int64(s, i, static_cast<sqlite3_int64>(d));
        else
          rc = sqlite3_bind_double(s, i, d);
        break;
      }
      case LUA_TSTRING: {
        size_t n;
        const char* p = lua_tolstring(L, idx, &n);
        if (valid_utf8(reinterpret_cast<const unsigned char*>(p), n))
          rc = sqlite3_bind_text64(s, i, p, n, SQLITE_TRANSIENT, SQLITE_UTF8);
        else
          rc = sqlite3_bind_blob64(s, i, p, n, SQLITE_TRANSIENT);
        break;
      }
      default: {
        if (json::is_null(L, idx)) {
          rc = sqlite3_bind_null(s, i);
          break;
        }
        std::string what = std::string(api) + ": parameter " + std::to_string(i) + " is a " + luaL_typename(L, idx);
        if (lua_istable(L, idx)) throw DbError(what + "; encode it (json.encode) first");
        throw DbError(what + "; only nil, json.null, booleans, numbers and strings can be bound");
      }
    }
    if (rc != SQLITE_OK) raise(st.conn(), rc);
  }
}

/* -- Rows ---------------------------------------------------------------- */

void push_column(lua_State* L, sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER:
      lua_pushnumber(L, static_cast<lua_Number>(sqlite3_column_int64(s, i)));
      break;
    case SQLITE_FLOAT:
      lua_pushnumber(L, sqlite3_column_double(s, i));
      break;
    case SQLITE_NULL:
      json::push_null(L);
      break;
    case SQLITE_TEXT:
      lua_pushlstring(L, reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                      static_cast<size_t>(sqlite3_column_bytes(s, i)));
      break;
    default: {  // BLOB; a zero-length blob has a null pointer
      const void* p = sqlite3_column_blob(s, i);
      size_t n = static_cast<size_t>(sqlite3_column_bytes(s, i));
      lua_pushlstring(L, p ? static_cast<const char*>(p) : "", n);
    }
  }
}

void push_row(lua_State* L, sqlite3_stmt* s) {
  int n = sqlite3_column_count(s);
  lua_createtable(L, 0, n);
  for (int i = 0; i < n; ++i) {
    const char* name = sqlite3_column_name(s, i);
    if (name == nullptr) throw DbError("db: out of memory reading column names");
    push_column(L, s, i);
    lua_setfield(L, -2, name);
  }
  json::tag_object(L, -1);
}

/* -- Functions ----------------------------------------------------------- */

int l_query(lua_State* L) {
  size_t len;
  const char* sql = luaL_checklstring(L, 1, &len);
  Connection& c = thread_connection();
  {
    auto st = c.prepare(std::string_view(sql, len));
    bind_args(L, st, 2, "db.query");
    lua_newtable(L);
    json::tag_array(L, -1);
    int n = 0;
    while (st.step()) {
      push_row(L, st.get());
      lua_rawseti(L, -2, ++n);
    }
  }
  return 1;
}

int l_query_one(lua_State* L) {
  size_t len;
  const char* sql = luaL_checklstring(L, 1, &len);
  Connection& c = thread_connection();
  {
    auto st = c.prepare(std::string_view(sql, len));
    bind_args(L, st, 2, "db.query_one");
    if (st.step())
      push_row(L, st.get());
    else
      lua_pushnil(L);
  }  // the lease resets the statement: the rest of the rows are not read
  return 1;
}

int l_exec(lua_State* L) {
  size_t len;
  const char* sql = luaL_checklstring(L, 1, &len);
  Connection& c = thread_connection();
  sqlite3* h = c.handle();
  sqlite3_int64 changes = 0;
  {
    auto st = c.prepare(std::string_view(sql, len));
    bind_args(L, st, 2, "db.exec");
    sqlite3_int64 before = sqlite3_total_changes64(h);
    while (st.step()) {
    }
    // sqlite3_changes() keeps the count of the last DML statement; a CREATE
    // or SELECT would otherwise report someone else's rows.
    if (sqlite3_total_changes64(h) != before) changes = sqlite3_changes64(h);
  }
  lua_pushnumber(L, static_cast<lua_Number>(changes));
  lua_pushnumber(L, static_cast<lua_Number>(sqlite3_last_insert_rowid(h)));
  return 2;
}

int l_tx(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  Connection& c = begin_transaction();
  if (lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0) != 0) {
    rollback_transaction(c);
    return lua_error(L);  // the original value, untouched
  }
  try {
    commit_transaction(c);
  } catch (const std::exception&) {
    rollback_transaction(c);
    throw;
  }
  return lua_gettop(L);
}

int l_path(lua_State* L) {
  ensure_configured();
  std::string p = path();
  lua_pushlstring(L, p.data(), p.size());
  return 1;
}

}  // namespace

int luaopen_db(lua_State* L) {
  static const luaL_Reg fns[] = {{"query", runtime::guarded<located<l_query>>},
                                 {"query_one", runtime::guarded<located<l_query_one>>},
                                 {"exec", runtime::guarded<located<l_exec>>},
                                 {"tx", runtime::guarded<located<l_tx>>},
                                 {"path", runtime::guarded<located<l_path>>},
                                 {nullptr, nullptr}};
  lua_createtable(L, 0, 5);
  luaL_register(L, nullptr, fns);
  return 1;
}

}  // namespace mr::db
