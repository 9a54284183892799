// repl/repl_session.cpp — evaluation through moonreel.repl, and the interrupt hook.
#include "repl/repl_session.hpp"

#include <luajit.h>

#include <stdexcept>

#include "runtime/lua_state.hpp"

namespace mr::repl {

namespace {

const char* const kSessionKey = "moonreel.repl.session";

void interrupt_hook(lua_State* L, lua_Debug*) {
  lua_getfield(L, LUA_REGISTRYINDEX, kSessionKey);
  auto* fn = static_cast<std::function<bool()>*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (fn && *fn && (*fn)()) luaL_error(L, "interrupted");
}

}  // namespace

Session::Session(lua_State* L, std::function<bool()> interrupt) : L_(L), interrupt_(std::move(interrupt)) {
  luaJIT_setmode(L_, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
  lua_pushlightuserdata(L_, &interrupt_);
  lua_setfield(L_, LUA_REGISTRYINDEX, kSessionKey);
  lua_sethook(L_, interrupt_hook, LUA_MASKCOUNT, 10000);

  lua_getglobal(L_, "require");
  lua_pushliteral(L_, "moonreel.repl");
  if (runtime::pcall_traceback(L_, 1, 1) != 0) throw std::runtime_error(lua_tostring(L_, -1));
  lua_getfield(L_, -1, "new_session");
  if (runtime::pcall_traceback(L_, 0, 1) != 0) throw std::runtime_error(lua_tostring(L_, -1));
  session_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
  lua_pop(L_, 1);
}

Session::~Session() {
  lua_sethook(L_, nullptr, 0, 0);
  luaL_unref(L_, LUA_REGISTRYINDEX, session_ref_);
  lua_pushnil(L_);
  lua_setfield(L_, LUA_REGISTRYINDEX, kSessionKey);
}

Session::Result Session::eval(const std::string& chunk) {
  int top = lua_gettop(L_);
  lua_getglobal(L_, "require");
  lua_pushliteral(L_, "moonreel.repl");
  lua_call(L_, 1, 1);
  lua_getfield(L_, -1, "eval");
  lua_rawgeti(L_, LUA_REGISTRYINDEX, session_ref_);
  lua_pushlstring(L_, chunk.data(), chunk.size());
  Result r{Status::Ok, ""};
  if (runtime::pcall_traceback(L_, 2, 2) != 0) {
    r = {Status::Error, lua_tostring(L_, -1) ? lua_tostring(L_, -1) : "error"};
  } else {
    std::string status = lua_tostring(L_, -2);
    r.text = lua_tostring(L_, -1) ? lua_tostring(L_, -1) : "";
    r.status = status == "ok" ? Status::Ok : status == "incomplete" ? Status::Incomplete : Status::Error;
  }
  lua_settop(L_, top);
  return r;
}

Session::Result Session::feed(const std::string& line) {
  buffer_ += buffer_.empty() ? line : "\n" + line;
  Result r = eval(buffer_);
  if (r.status != Status::Incomplete) buffer_.clear();
  return r;
}

Session::Result Session::flush() {
  if (buffer_.empty()) return {Status::Ok, ""};
  Result r = eval(buffer_);
  buffer_.clear();
  if (r.status == Status::Incomplete) r = {Status::Error, "incomplete input at end of stream"};
  return r;
}

std::vector<std::string> Session::complete(const std::string& text) {
  std::vector<std::string> out;
  int top = lua_gettop(L_);
  lua_getglobal(L_, "require");
  lua_pushliteral(L_, "moonreel.repl");
  lua_call(L_, 1, 1);
  lua_getfield(L_, -1, "complete");
  lua_rawgeti(L_, LUA_REGISTRYINDEX, session_ref_);
  lua_pushlstring(L_, text.data(), text.size());
  if (runtime::pcall_traceback(L_, 2, 1) == 0 && lua_istable(L_, -1)) {
    size_t n = lua_objlen(L_, -1);
    for (size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L_, -1, static_cast<int>(i));
      if (lua_isstring(L_, -1)) out.emplace_back(lua_tostring(L_, -1));
      lua_pop(L_, 1);
    }
  }
  lua_settop(L_, top);
  return out;
}

}  // namespace mr::repl
