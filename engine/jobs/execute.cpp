// jobs/execute.cpp — see execute.hpp.
#include "jobs/execute.hpp"

#include "jobs/job_context.hpp"
#include "runtime/lua_state.hpp"

namespace mr::jobs {

namespace {

std::string field(lua_State* L, int t, const char* k) {
  lua_getfield(L, t, k);
  std::string s = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
  lua_pop(L, 1);
  return s;
}

// Interpreted Lua checks the job's stop flag every few thousand instructions,
// so even a workflow that never reports progress can be cancelled or timed out.
void stop_hook(lua_State* L, lua_Debug*) {
  JobContext* ctx = current();
  if (const char* why = ctx ? ctx->stop_reason() : nullptr) luaL_error(L, "moonreel: job stopped (%s)", why);
}

}  // namespace

Outcome execute(lua_State* L) {
  Outcome out;
  int top = lua_gettop(L);
  lua_sethook(L, stop_hook, LUA_MASKCOUNT, 10000);
  lua_getglobal(L, "require");
  lua_pushstring(L, "moonreel.workflow");
  if (runtime::pcall_traceback(L, 1, 1) == 0) {
    lua_getfield(L, -1, "execute");
    if (runtime::pcall_traceback(L, 0, 1) == 0 && lua_istable(L, -1)) {
      int t = lua_gettop(L);
      out.status = field(L, t, "status");
      out.code = field(L, t, "code");
      out.message = field(L, t, "message");
      out.traceback = field(L, t, "traceback");
      lua_getfield(L, t, "retryable");
      out.retryable = lua_toboolean(L, -1);
      lua_pop(L, 1);
    } else {
      out.message = lua_tostring(L, -1) ? lua_tostring(L, -1) : "workflow runner failed";
    }
  } else {
    out.message = lua_tostring(L, -1) ? lua_tostring(L, -1) : "cannot load moonreel.workflow";
  }
  lua_sethook(L, nullptr, 0, 0);
  lua_settop(L, top);
  return out;
}

}  // namespace mr::jobs
