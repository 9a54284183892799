// unit/generation_test.cpp — Generation::build over a temporary app tree (runtime/generation.hpp):
// the route table, load failures with file and line, and the pool of states.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/generation.hpp"
#include "support.hpp"

using mr::runtime::Generation;
using mr::runtime::LoadFailure;
using mr::test::run_lua;
using mr::test::TempTree;

namespace {

LoadFailure build_failure(const TempTree& t) {
  try {
    Generation::build(t.load(), 1);
  } catch (const LoadFailure& e) {
    return e;
  }
  FAIL("Generation::build should have failed");
  throw std::logic_error("unreachable");
}

const char* const kRouterFile =
    "local router = require('moonreel.router')\n"
    "local r = router.new({ prefix = '/a' })\n"
    "r:get('/{id}', function(req) return { id = req.params.id } end)\n"
    "r:post('/', function() return {} end)\n"
    "return r\n";

}  // namespace

TEST_CASE("Generation::build loads every api/ router and builds the route table", "[generation]") {
  TempTree t;
  t.file("api/a.lua", kRouterFile)
      .file("api/v1/b.lua",
            "local router = require('moonreel.router')\n"
            "local one, two = router.new({ prefix = '/b' }), router.new({ prefix = '/c' })\n"
            "one:get('/', function() end)\n"
            "two:delete('/{id}', function() end)\n"
            "return { one, two }\n")
      .file("scripts/helper.lua", "return {}")
      .file("workflows/render.lua", "return require('moonreel.workflow').define({ run = function() end })");
  auto gen = Generation::build(t.load(), 7);
  CHECK(gen->number() == 7);
  const auto& routes = gen->router().routes();
  REQUIRE(routes.size() == 4);
  CHECK(routes[0].method == "GET");
  CHECK(routes[0].pattern == "/a/{id}");
  CHECK(routes[0].file == "api/a.lua");
  CHECK(routes[0].line == 3);
  CHECK(routes[0].index == 1);
  CHECK(routes[1].pattern == "/a");
  CHECK(routes[3].method == "DELETE");
  CHECK(routes[3].pattern == "/c/{id}");
  CHECK(routes[3].file == "api/v1/b.lua");
  CHECK(routes[3].line == 4);
  CHECK(gen->router().match("GET", "/a/9").kind == mr::http::RouteMatch::Kind::Found);
  CHECK(gen->workflows() == std::vector<std::string>{"render"});
}

TEST_CASE("a syntax error in an api/ file fails the build with its file and line", "[generation]") {
  TempTree t;
  t.file("api/good.lua", kRouterFile).file("api/bad.lua", "local r = require('moonreel.router').new()\n\nr:get(\n");
  LoadFailure e = build_failure(t);
  CHECK(e.loc.file == "api/bad.lua");
  CHECK(e.loc.line == 4);
}

TEST_CASE("a run-time error or a global while loading fails the build with its file and line", "[generation]") {
  TempTree t;
  t.file("api/boom.lua", "local x = 1\nerror('no database')\n");
  LoadFailure e = build_failure(t);
  CHECK(e.loc.file == "api/boom.lua");
  CHECK(e.loc.line == 2);
  CHECK(e.loc.message == "no database");

  TempTree g;
  g.file("api/global.lua", "local r = require('moonreel.router').new()\nshared = {}\nreturn r\n");
  LoadFailure eg = build_failure(g);
  CHECK(eg.loc.file == "api/global.lua");
  CHECK(eg.loc.line == 2);
  CHECK_THAT(eg.loc.message, Catch::Contains("undeclared global 'shared'"));
}

TEST_CASE("an api/ file that does not return a router fails the build, naming the file", "[generation]") {
  TempTree t;
  t.file("api/v1/nope.lua", "return { hello = 1 }\n");
  LoadFailure e = build_failure(t);
  CHECK_THAT(e.what(), Catch::Contains("must return a router"));
  CHECK(e.loc.file == "api/v1/nope.lua");
  CHECK(e.loc.line == 1);
  CHECK_THAT(e.loc.message, Catch::StartsWith("must return a router"));
}

TEST_CASE("a duplicate route across files fails the build at the second declaration", "[generation]") {
  TempTree t;
  t.file("api/a.lua", kRouterFile)
      .file("api/b.lua", "local r = require('moonreel.router').new()\n\nr:get('/a/{x}', function() end)\nreturn r\n");
  LoadFailure e = build_failure(t);
  CHECK(e.loc.file == "api/b.lua");
  CHECK(e.loc.line == 3);
  CHECK_THAT(e.loc.message, Catch::Contains("duplicate route GET /a/{x}") && Catch::Contains("api/a.lua:3"));
}

TEST_CASE("a malformed route pattern fails the build at its declaration", "[generation]") {
  TempTree t;
  t.file("api/a.lua", "local r = require('moonreel.router').new()\nr:get('/x/{id', function() end)\nreturn r\n");
  LoadFailure e = build_failure(t);
  CHECK(e.loc.file == "api/a.lua");
  CHECK(e.loc.line == 2);
  CHECK_THAT(e.loc.message, Catch::Contains("unclosed parameter"));
}

TEST_CASE("a generation leases states, returns them to the pool and makes more on demand", "[generation]") {
  TempTree t;
  t.file("api/a.lua", kRouterFile);
  auto gen = Generation::build(t.load(), 1);
  lua_State* first = nullptr;
  {
    auto lease = gen->acquire();
    first = lease.L();
    CHECK(lease.state().dispatch_ref != LUA_NOREF);
    CHECK(&lease.generation() == gen.get());
    auto second = gen->acquire();
    CHECK(second.L() != first);
    lua_pushinteger(second.L(), 1);  // left over: release clears it
  }
  auto again = gen->acquire();
  CHECK(lua_gettop(again.L()) == 0);
  auto fresh = gen->make_state();
  CHECK(fresh->dispatch_ref != LUA_NOREF);
}

TEST_CASE("an empty generation has no routes and still makes sealed states", "[generation]") {
  auto gen = Generation::empty("/nonexistent");
  CHECK(gen->router().routes().empty());
  auto st = gen->make_state();
  CHECK_THAT(run_lua(st->lua->get(), "x = 1"), Catch::Contains("undeclared global 'x'"));
}
