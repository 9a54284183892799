// unit/repl_session_test.cpp — REPL sessions (repl/repl_session.hpp): evaluation, incomplete
// input, errors, interrupts of runaway code, completion.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "repl/repl_session.hpp"
#include "runtime/lua_state.hpp"

using mr::repl::Session;
using mr::runtime::LuaState;

namespace {

// A session over a fresh state whose interrupt fires a few polls after `armed` is set.
struct Repl {
  LuaState state;
  bool armed = false;
  int polls = 0;
  Session session{state.get(), [this] { return armed && ++polls > 3; }};
};

}  // namespace

TEST_CASE("a REPL session evaluates statements and expressions", "[repl]") {
  Repl r;
  auto res = r.session.feed("return 6*7");
  CHECK(res.status == Session::Status::Ok);
  CHECK(res.text == "42");
  CHECK(r.session.feed("6*7").text == "42");
  CHECK(r.session.feed("=1+1").text == "2");
  CHECK(r.session.feed("1, 'two', nil, true").text == "1\ttwo\tnil\ttrue");
  CHECK(r.session.feed("1, nil").text == "1\tnil");
  CHECK(r.session.feed("nil, nil").text == "nil\tnil");
  CHECK(r.session.feed("'raw string'").text == "raw string");
  CHECK(r.session.feed("{ 1, a = 'x' }").text == "{\n  1,\n  a = \"x\",\n}");
  CHECK(r.session.feed("local y = 1").text == "");
}

TEST_CASE("a REPL session keeps its variables between lines, and print goes to the output", "[repl]") {
  Repl r;
  CHECK(r.session.feed("x = 5").status == Session::Status::Ok);
  CHECK(r.session.feed("x * 2").text == "10");
  CHECK(r.session.feed("print('a', 1) print('b')").text == "a\t1\nb");
  CHECK(r.session.feed("print('p') return 3").text == "p\n3");
}

TEST_CASE("an incomplete chunk asks for more and completes on a later line", "[repl]") {
  Repl r;
  CHECK(r.session.feed("for i=1,2 do").status == Session::Status::Incomplete);
  CHECK(r.session.pending());
  CHECK(r.session.feed("print(i)").status == Session::Status::Incomplete);
  auto res = r.session.feed("end");
  CHECK(res.status == Session::Status::Ok);
  CHECK(res.text == "1\n2");
  CHECK_FALSE(r.session.pending());
  CHECK(r.session.feed("{").status == Session::Status::Incomplete);
  CHECK(r.session.feed("1 }").text == "{\n  1,\n}");
}

TEST_CASE("flush evaluates pending input and reports an unfinished chunk as an error", "[repl]") {
  Repl r;
  CHECK(r.session.flush().status == Session::Status::Ok);
  r.session.feed("function f()");
  auto res = r.session.flush();
  CHECK(res.status == Session::Status::Error);
  CHECK_THAT(res.text, Catch::Contains("incomplete input"));
  CHECK_FALSE(r.session.pending());
  r.session.feed("if true then");
  r.session.reset();
  CHECK_FALSE(r.session.pending());
  CHECK(r.session.feed("1").text == "1");
}

TEST_CASE("errors come back as Error results and the session stays usable", "[repl]") {
  Repl r;
  auto syntax = r.session.feed("1 +* 2");
  CHECK(syntax.status == Session::Status::Error);
  CHECK_FALSE(r.session.pending());
  auto boom = r.session.feed("error('boom')");
  CHECK(boom.status == Session::Status::Error);
  CHECK_THAT(boom.text, Catch::Contains("boom"));
  auto thrown = r.session.feed("error({ code = 1 })");
  CHECK(thrown.status == Session::Status::Error);
  CHECK(r.session.feed("return 1").text == "1");
}

TEST_CASE("an interrupt stops a runaway loop with 'interrupted' and the session goes on", "[repl]") {
  Repl r;
  r.armed = true;
  auto res = r.session.feed("while true do end");
  CHECK(res.status == Session::Status::Error);
  CHECK_THAT(res.text, Catch::Contains("interrupted"));
  r.armed = false;
  CHECK(r.session.feed("return 6*7").text == "42");
  CHECK(lua_gettop(r.state.get()) == 0);
}

TEST_CASE("an interrupt also stops a loop of function calls", "[repl]") {
  Repl r;
  r.armed = true;
  auto res = r.session.feed("local function f(n) return n + 1 end local n = 0 while true do n = f(n) end");
  CHECK_THAT(res.text, Catch::Contains("interrupted"));
  r.armed = false;
  CHECK(r.session.feed("1").text == "1");
}

TEST_CASE("completion offers engine modules, globals and session variables", "[repl]") {
  Repl r;
  auto enc = r.session.complete("json.enc");
  CHECK(std::find(enc.begin(), enc.end(), "json.encode") != enc.end());
  auto pri = r.session.complete("pri");
  CHECK(std::find(pri.begin(), pri.end(), "print") != pri.end());
  auto fmt = r.session.complete("string.fo");
  CHECK(fmt == std::vector<std::string>{"string.format"});
  r.session.feed("settings = { alpha = 1, alps = 2, beta = 3 }");
  CHECK(r.session.complete("settings.al") == std::vector<std::string>{"settings.alpha", "settings.alps"});
  CHECK(r.session.complete("nothing_here.x").empty());
  CHECK(r.session.complete("settings.alpha.x").empty());
}
