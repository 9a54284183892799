// unit/lua_state_test.cpp — the runtime glue every state shares (runtime/lua_state.hpp,
// runtime/script_tree.hpp): strict globals, guarded<>, tracebacks, the module searcher.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "runtime/lua_state.hpp"
#include "runtime/script_tree.hpp"
#include "support.hpp"

using mr::runtime::LuaState;
using mr::test::eval_lua;
using mr::test::run_lua;
using mr::test::TempTree;

namespace {

std::string require_error(LuaState& s, const std::string& name) {
  std::string err;
  if (s.require(name, err)) {
    lua_pop(s.get(), 1);
    FAIL("require('" << name << "') should have failed");
  }
  return err;
}

/* -- guarded<> bodies ---------------------------------------------------- */

int throws_runtime_error(lua_State*) { throw std::runtime_error("disk on fire"); }
int throws_logic_error(lua_State*) { throw std::invalid_argument("bad width: -3"); }
int checks_its_argument(lua_State* L) {
  lua_pushstring(L, luaL_checkstring(L, 1));
  return 1;
}
int returns_two(lua_State* L) {
  lua_pushinteger(L, 1);
  lua_pushinteger(L, 2);
  return 2;
}

}  // namespace

/* -- Strict globals ------------------------------------------------------ */

TEST_CASE("before sealing, globals may be written and read", "[lua_state]") {
  LuaState s;
  CHECK(run_lua(s.get(), "early = 1; assert(early == 1)") == "");
}

TEST_CASE("after sealing, assigning an undeclared global fails, naming the chunk and line", "[lua_state]") {
  LuaState s;
  s.seal_globals();
  std::string err = run_lua(s.get(), "local a = 1\n\ncounter = a\n", "@scripts/services/x.lua");
  CHECK(err == "scripts/services/x.lua:3: assignment to undeclared global 'counter' (use a local)");
  auto loc = mr::runtime::parse_error_location(err);
  CHECK(loc.file == "scripts/services/x.lua");
  CHECK(loc.line == 3);
}

TEST_CASE("after sealing, reading an undeclared global fails, naming the chunk and line", "[lua_state]") {
  LuaState s;
  s.seal_globals();
  CHECK(run_lua(s.get(), "local x = 1\nreturn undefined_thing\n", "@api/y.lua") ==
        "api/y.lua:2: undeclared global 'undefined_thing'");
}

TEST_CASE("after sealing, the standard library and rawget/rawset still work", "[lua_state]") {
  LuaState s;
  s.seal_globals();
  CHECK(run_lua(s.get(), "assert(string.format('%d', 3) == '3'); assert(type(print) == 'function')") == "");
  CHECK(run_lua(s.get(), "assert(rawget(_G, 'nope') == nil)") == "");
  CHECK(run_lua(s.get(), "rawset(_G, 'declared', 1); assert(declared == 1)") == "");
  CHECK(run_lua(s.get(), "local t = {}; t.x = 1; assert(t.x == 1)") == "");
}

TEST_CASE("strictness reaches modules loaded from the app tree", "[lua_state]") {
  TempTree t;
  t.file("scripts/leaky.lua", "local M = {}\nleak = true\nreturn M\n");
  LuaState s(t.load());
  s.seal_globals();
  std::string err = require_error(s, "leaky");
  CHECK_THAT(err, Catch::StartsWith("scripts/leaky.lua:2: assignment to undeclared global 'leak'"));
}

/* -- guarded<> ----------------------------------------------------------- */

TEST_CASE("guarded<> turns a thrown std::runtime_error into a catchable Lua error", "[lua_state]") {
  LuaState s;
  lua_State* L = s.get();
  lua_register(L, "explode", mr::runtime::guarded<throws_runtime_error>);
  lua_register(L, "invalid", mr::runtime::guarded<throws_logic_error>);
  CHECK(run_lua(L, R"(
    local ok, err = pcall(explode)
    assert(not ok and err == "disk on fire", tostring(err))
    ok, err = pcall(invalid)
    assert(not ok and err == "bad width: -3", tostring(err)))") == "");
  // An uncaught one surfaces as an ordinary Lua error, and the state goes on.
  CHECK(run_lua(L, "explode()") == "disk on fire");
  for (int i = 0; i < 1000; ++i) REQUIRE(run_lua(L, "pcall(explode)") == "");
  CHECK(eval_lua(L, "1 + 1") == "2");
}

TEST_CASE("guarded<> lets Lua errors raised inside pass through untouched", "[lua_state]") {
  LuaState s;
  lua_State* L = s.get();
  lua_register(L, "echo", mr::runtime::guarded<checks_its_argument>);
  CHECK(eval_lua(L, "echo('x')") == "x");
  CHECK_THAT(run_lua(L, "echo({})"), Catch::Contains("bad argument #1") && Catch::Contains("string expected"));
  CHECK(eval_lua(L, "echo('still fine')") == "still fine");
}

TEST_CASE("guarded<> passes results through when nothing throws", "[lua_state]") {
  LuaState s;
  lua_register(s.get(), "two", mr::runtime::guarded<returns_two>);
  CHECK(eval_lua(s.get(), "select('#', two())") == "2");
  CHECK(eval_lua(s.get(), "select(2, two())") == "2");
}

/* -- Tracebacks and error locations -------------------------------------- */

TEST_CASE("pcall_traceback appends a traceback to string errors and keeps tables as they are", "[lua_state]") {
  LuaState s;
  lua_State* L = s.get();
  luaL_loadstring(L, "error('boom')");
  REQUIRE(mr::runtime::pcall_traceback(L, 0, 0) != 0);
  CHECK_THAT(std::string(lua_tostring(L, -1)), Catch::Contains("boom") && Catch::Contains("stack traceback:"));
  lua_pop(L, 1);
  luaL_loadstring(L, "error({ code = 7 })");
  REQUIRE(mr::runtime::pcall_traceback(L, 0, 0) != 0);
  REQUIRE(lua_istable(L, -1));
  lua_getfield(L, -1, "code");
  CHECK(lua_tointeger(L, -1) == 7);
  lua_pop(L, 2);
  CHECK(lua_gettop(L) == 0);
}

TEST_CASE("pcall_traceback passes arguments and results like lua_pcall", "[lua_state]") {
  LuaState s;
  lua_State* L = s.get();
  luaL_loadstring(L, "local a, b = ...; return a + b, a * b");
  lua_pushinteger(L, 3);
  lua_pushinteger(L, 4);
  REQUIRE(mr::runtime::pcall_traceback(L, 2, 2) == 0);
  CHECK(lua_tointeger(L, -2) == 7);
  CHECK(lua_tointeger(L, -1) == 12);
  lua_pop(L, 2);
  CHECK(lua_gettop(L) == 0);
}

TEST_CASE("parse_error_location splits file, line and message and drops the traceback", "[lua_state]") {
  auto loc = mr::runtime::parse_error_location("api/v1/x.lua:12: boom\nstack traceback:\n\t[C]: in ?");
  CHECK(loc.file == "api/v1/x.lua");
  CHECK(loc.line == 12);
  CHECK(loc.message == "boom");
  auto multi = mr::runtime::parse_error_location("scripts/a.lua:3: first\nsecond");
  CHECK(multi.message == "first\nsecond");
  auto none = mr::runtime::parse_error_location("something broke\nstack traceback:\n...");
  CHECK(none.file.empty());
  CHECK(none.line == 0);
  CHECK(none.message == "something broke");
  auto str = mr::runtime::parse_error_location("[string \"x\"]:1: nope");
  CHECK(str.file.empty());
}

/* -- Module searcher ----------------------------------------------------- */

TEST_CASE("require resolves scripts/x.lua, scripts/pkg/init.lua, nested modules, api.x and workflows.x",
          "[lua_state]") {
  TempTree t;
  t.file("scripts/x.lua", "return { name = 'x' }")
      .file("scripts/pkg/init.lua", "return { name = 'pkg' }")
      .file("scripts/pkg/sub.lua", "return { name = 'pkg.sub' }")
      .file("scripts/deep/a/b.lua", "return { name = 'deep.a.b' }")
      .file("api/x.lua", "return { name = 'api.x' }")
      .file("api/v1/init.lua", "return { name = 'api.v1' }")
      .file("workflows/w.lua", "return { name = 'workflows.w' }");
  LuaState s(t.load());
  s.seal_globals();
  for (const char* name : {"x", "pkg", "pkg.sub", "deep.a.b", "api.x", "api.v1", "workflows.w"}) {
    std::string err;
    REQUIRE(s.require(name, err));
    lua_getfield(s.get(), -1, "name");
    CHECK(std::string(lua_tostring(s.get(), -1)) == name);
    lua_pop(s.get(), 2);
  }
}

TEST_CASE("a module's chunk is named by its path, so errors point into the file", "[lua_state]") {
  TempTree t;
  t.file("scripts/bad.lua", "local M = {}\nfunction M.f() error('inside') end\nreturn M\n")
      .file("scripts/broken.lua", "return {\n  x = \n");
  LuaState s(t.load());
  CHECK(eval_lua(s.get(), "select(2, pcall(require('bad').f))") == "scripts/bad.lua:2: inside");
  CHECK_THAT(require_error(s, "broken"), Catch::StartsWith("scripts/broken.lua:3:"));
}

TEST_CASE("module names with '..' or '/' are refused", "[lua_state]") {
  TempTree t;
  t.file("scripts/x.lua", "return {}");
  auto tree = t.load();
  CHECK(tree->resolve_module("..") == nullptr);
  CHECK(tree->resolve_module("..x") == nullptr);
  CHECK(tree->resolve_module("a..x") == nullptr);
  CHECK(tree->resolve_module("../scripts/x") == nullptr);
  CHECK(tree->resolve_module("scripts/x") == nullptr);
  CHECK(tree->resolve_module("") == nullptr);
  CHECK(tree->resolve_module("x") != nullptr);
  LuaState s(tree);
  CHECK_THAT(require_error(s, "..x"), Catch::Contains("no file for '..x'"));
  CHECK_THAT(require_error(s, "../../etc/passwd"), Catch::Contains("no file for"));
}

TEST_CASE("require never reads the filesystem, only the snapshot", "[lua_state]") {
  TempTree t;
  t.file("scripts/x.lua", "return { v = 1 }");
  LuaState s(t.load());
  t.file("scripts/x.lua", "return { v = 2 }").file("scripts/late.lua", "return {}");
  CHECK(eval_lua(s.get(), "require('x').v") == "1");
  CHECK_THAT(require_error(s, "late"), Catch::Contains("no file for 'late'"));
  CHECK(eval_lua(s.get(), "package.path") == "");
  CHECK(eval_lua(s.get(), "package.cpath") == "");
}

TEST_CASE("engine modules come first and cannot be shadowed by the app", "[lua_state]") {
  TempTree t;
  t.file("scripts/moonreel/router.lua", "return { shadowed = true }")
      .file("scripts/moonreel/json.lua", "return { shadowed = true }");
  LuaState s(t.load());
  CHECK(eval_lua(s.get(), "require('moonreel.router').shadowed") == "nil");
  CHECK(eval_lua(s.get(), "type(require('moonreel.router').new)") == "function");
  CHECK(eval_lua(s.get(), "type(require('moonreel.json').encode)") == "function");
  CHECK_THAT(require_error(s, "moonreel.nope"), Catch::Contains("no engine module 'moonreel.nope'"));
}

TEST_CASE("without a tree only engine modules are requirable", "[lua_state]") {
  LuaState s;
  CHECK(eval_lua(s.get(), "type(require('moonreel.inspect'))") == "table");
  CHECK_THAT(require_error(s, "x"), Catch::Contains("no app tree loaded for 'x'"));
}

TEST_CASE("a ScriptTree holds only .lua files under api/, scripts/ and workflows/", "[lua_state]") {
  TempTree t;
  t.file("api/b.lua", "").file("api/a.lua", "").file("api/notes.txt", "")
      .file("api/.#a.lua", "").file("scripts/s.lua", "").file("other/o.lua", "").file("top.lua", "");
  auto tree = t.load();
  CHECK(tree->size() == 3);
  auto api = tree->under("api");
  REQUIRE(api.size() == 2);
  CHECK(api[0]->relpath == "api/a.lua");
  CHECK(api[1]->relpath == "api/b.lua");
  CHECK(tree->find("other/o.lua") == nullptr);
  CHECK(tree->root() == t.root);
}

TEST_CASE("module_name_for maps file paths back to module names", "[lua_state]") {
  using mr::runtime::module_name_for;
  CHECK(module_name_for("api/v1/projects.lua") == "api.v1.projects");
  CHECK(module_name_for("scripts/services/x.lua") == "services.x");
  CHECK(module_name_for("scripts/pkg/init.lua") == "pkg");
  CHECK(module_name_for("workflows/render.lua") == "workflows.render");
}
