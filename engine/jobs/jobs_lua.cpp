// jobs/jobs_lua.cpp — `moonreel.jobs`, the Lua face of the job queue.
//
//   local job, created = jobs.submit{ workflow = "txt2img", input = {...}, priority = 5,
//                                     project_id = ..., clip_id = ..., kind = "image",
//                                     idempotency_key = ..., job_id = ..., webhook_url = ...,
//                                     max_attempts = 3, timeout_s = 600 }
//   jobs.get(id) · jobs.list{status=, project_id=, workflow=, clip_id=, limit=, offset=}
//   jobs.cancel(id) → "cancelled" | "cancelling" · jobs.retry(id) · jobs.set_priority(id, p)
//   jobs.clear{before = iso} → n · jobs.pause() · jobs.resume() · jobs.status()
//   jobs.events{since = id, job_id =, project_id =, timeout = s, limit = n} → { event, ... }
//   -- inside a running job (the workflow runner builds ctx from these):
//   jobs.current() → job | nil · jobs.progress(pct, step) · jobs.stop_reason() → nil | "cancelled" | "timeout"
//   jobs.complete(result) · jobs.acquire(name, limit) → permit | nil, "cancelled"; permit:release()
//
// Refused actions return nil, { code = "RESOURCE_NOT_FOUND" | "CONFLICT" | "QUEUE_FULL" |
// "VALIDATION_ERROR", message = ..., retry_after = s (QUEUE_FULL) }; the caller
// (a service) maps them to HTTP errors. Database failures raise.
#include <lua.hpp>

#include "jobs/job_context.hpp"
#include "jobs/queue.hpp"
#include "jobs/semaphore.hpp"
#include "json/json_lua.hpp"
#include "runtime/lua_state.hpp"

namespace mr::jobs {

namespace {

using runtime::guarded;

void push(lua_State* L, const json& v) { ::mr::json::decode(L, v.dump()); }

json to_json(lua_State* L, int idx) { return json::parse(::mr::json::encode(L, idx)); }

std::string opt_string(lua_State* L, int t, const char* k) {
  lua_getfield(L, t, k);
  std::string s;
  if (lua_type(L, -1) == LUA_TSTRING) {
    s = lua_tostring(L, -1);
  } else if (!lua_isnil(L, -1) && !::mr::json::is_null(L, -1)) {
    lua_pop(L, 1);
    luaL_error(L, "jobs: %s must be a string", k);
  }
  lua_pop(L, 1);
  return s;
}

double opt_number(lua_State* L, int t, const char* k, double fallback) {
  lua_getfield(L, t, k);
  double v = fallback;
  if (lua_type(L, -1) == LUA_TNUMBER) {
    v = lua_tonumber(L, -1);
  } else if (!lua_isnil(L, -1)) {
    lua_pop(L, 1);
    luaL_error(L, "jobs: %s must be a number", k);
  }
  lua_pop(L, 1);
  return v;
}

int refused(lua_State* L, const std::string& code, const std::string& message, double retry_after = 0) {
  lua_pushnil(L);
  lua_newtable(L);
  lua_pushstring(L, code.c_str());
  lua_setfield(L, -2, "code");
  lua_pushstring(L, message.c_str());
  lua_setfield(L, -2, "message");
  if (retry_after > 0) {
    lua_pushnumber(L, retry_after);
    lua_setfield(L, -2, "retry_after");
  }
  return 2;
}

// Runs an action, turning refused transitions into nil, err.
template <typename F>
int action(lua_State* L, F f) {
  std::string code, message;
  double retry_after = 0;
  try {
    return f();
  } catch (const JobError& e) {
    code = e.code;
    message = e.what();
  } catch (const QueueFull& e) {
    code = "QUEUE_FULL";
    message = e.what();
    retry_after = e.retry_after_s;
  }
  return refused(L, code, message, retry_after);
}

int l_submit(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  NewJob j;
  j.workflow = opt_string(L, 1, "workflow");
  if (j.workflow.empty()) luaL_error(L, "jobs.submit: workflow is required");
  lua_getfield(L, 1, "input");
  j.input = lua_isnil(L, -1) ? json::object() : to_json(L, -1);
  lua_pop(L, 1);
  j.id = opt_string(L, 1, "job_id");
  j.priority = static_cast<long long>(opt_number(L, 1, "priority", 0));
  j.max_attempts = static_cast<long long>(opt_number(L, 1, "max_attempts", 0));
  j.timeout_s = opt_number(L, 1, "timeout_s", 0);
  j.project_id = opt_string(L, 1, "project_id");
  j.clip_id = opt_string(L, 1, "clip_id");
  j.kind = opt_string(L, 1, "kind");
  j.idempotency_key = opt_string(L, 1, "idempotency_key");
  j.webhook_url = opt_string(L, 1, "webhook_url");
  return action(L, [&] {
    bool created = false;
    json job = queue().submit(j, &created);
    push(L, job);
    lua_pushboolean(L, created);
    return 2;
  });
}

int l_get(lua_State* L) {
  std::string id = luaL_checkstring(L, 1);
  auto job = get(id);
  if (!job) return 0;
  if ((*job)["status"] == "pending") (*job)["position"] = position(id);
  push(L, *job);
  return 1;
}

int l_list(lua_State* L) {
  ListQuery q;
  if (lua_istable(L, 1)) {
    q.status = opt_string(L, 1, "status");
    q.project_id = opt_string(L, 1, "project_id");
    q.workflow = opt_string(L, 1, "workflow");
    q.clip_id = opt_string(L, 1, "clip_id");
    q.key_prefix = opt_string(L, 1, "key_prefix");
    q.limit = static_cast<long long>(opt_number(L, 1, "limit", 50));
    q.offset = static_cast<long long>(opt_number(L, 1, "offset", 0));
  }
  push(L, list(q));
  return 1;
}

int l_cancel(lua_State* L) {
  std::string id = luaL_checkstring(L, 1);
  return action(L, [&] {
    lua_pushstring(L, queue().cancel(id).c_str());
    return 1;
  });
}

int l_retry(lua_State* L) {
  std::string id = luaL_checkstring(L, 1);
  return action(L, [&] {
    push(L, queue().retry(id));
    return 1;
  });
}

int l_set_priority(lua_State* L) {
  std::string id = luaL_checkstring(L, 1);
  long long p = static_cast<long long>(luaL_checknumber(L, 2));
  return action(L, [&] {
    push(L, queue().set_priority(id, p));
    return 1;
  });
}

int l_clear(lua_State* L) {
  std::string before = lua_istable(L, 1) ? opt_string(L, 1, "before") : "";
  lua_pushnumber(L, static_cast<lua_Number>(queue().clear(before)));
  return 1;
}

int l_pause(lua_State* L) {
  queue().pause();
  return 0;
}

int l_resume(lua_State* L) {
  queue().resume();
  return 0;
}

int l_status(lua_State* L) {
  json s = queue().status();
  json sems = json::object();
  for (const auto& [name, st] : semaphore_states())
    sems[name] = {{"in_flight", st.held}, {"waiting", st.waiting}, {"limit", st.limit}};
  s["providers"] = sems;
  s["webhooks"] = queue().webhook_counts();
  push(L, s);
  return 1;
}

int l_events(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  long long since = static_cast<long long>(opt_number(L, 1, "since", 0));
  double timeout = opt_number(L, 1, "timeout", 0);
  long long limit = static_cast<long long>(opt_number(L, 1, "limit", 200));
  auto events = queue().wait_events(since, opt_string(L, 1, "job_id"), opt_string(L, 1, "project_id"),
                                    std::min(timeout, 60.0), std::clamp(limit, 1LL, 1000LL));
  json arr = json::array();
  for (auto& e : events) arr.push_back(std::move(e.data));
  push(L, arr);
  return 1;
}

/* -- Inside a running job ------------------------------------------------- */

JobContext& running(lua_State* L) {
  JobContext* ctx = current();
  if (!ctx) luaL_error(L, "jobs: no job is running on this thread");
  return *ctx;
}

int l_current(lua_State* L) {
  JobContext* ctx = current();
  if (!ctx) return 0;
  push(L, ctx->job());
  return 1;
}

int l_progress(lua_State* L) {
  JobContext& ctx = running(L);
  double pct = luaL_checknumber(L, 1);
  std::string step = luaL_optstring(L, 2, "");
  ctx.progress(pct, step);
  return 0;
}

int l_stop_reason(lua_State* L) {
  JobContext* ctx = current();
  const char* why = ctx ? ctx->stop_reason() : nullptr;
  if (!why) return 0;
  lua_pushstring(L, why);
  return 1;
}

int l_complete(lua_State* L) {
  JobContext& ctx = running(L);
  json result = lua_isnoneornil(L, 1) ? json::object() : to_json(L, 1);
  ctx.complete(result);
  return 0;
}

const char* kPermit = "moonreel.jobs.permit";

struct Permit {
  char name[128];
  bool held;
};

int l_acquire(lua_State* L) {
  size_t n;
  const char* name = luaL_checklstring(L, 1, &n);
  if (n == 0 || n >= sizeof(Permit{}.name)) luaL_error(L, "jobs.acquire: name must be 1-127 bytes");
  long long limit = static_cast<long long>(luaL_optnumber(L, 2, 1));
  JobContext* ctx = current();
  bool ok = semaphore_acquire(name, limit, [ctx] { return ctx && ctx->stop_reason() != nullptr; });
  if (!ok) {
    lua_pushnil(L);
    lua_pushstring(L, ctx->stop_reason());
    return 2;
  }
  auto* p = static_cast<Permit*>(lua_newuserdata(L, sizeof(Permit)));
  std::memcpy(p->name, name, n + 1);
  p->held = true;
  luaL_getmetatable(L, kPermit);
  lua_setmetatable(L, -2);
  return 1;
}

int l_permit_release(lua_State* L) {
  auto* p = static_cast<Permit*>(luaL_checkudata(L, 1, kPermit));
  if (p->held) {
    p->held = false;
    semaphore_release(p->name);
  }
  return 0;
}

}  // namespace

int luaopen_jobs(lua_State* L) {
  if (luaL_newmetatable(L, kPermit)) {
    lua_pushcfunction(L, l_permit_release);
    lua_setfield(L, -2, "__gc");
    lua_newtable(L);
    lua_pushcfunction(L, l_permit_release);
    lua_setfield(L, -2, "release");
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  static const luaL_Reg fns[] = {{"submit", guarded<l_submit>},
                                 {"get", guarded<l_get>},
                                 {"list", guarded<l_list>},
                                 {"cancel", guarded<l_cancel>},
                                 {"retry", guarded<l_retry>},
                                 {"set_priority", guarded<l_set_priority>},
                                 {"clear", guarded<l_clear>},
                                 {"pause", guarded<l_pause>},
                                 {"resume", guarded<l_resume>},
                                 {"status", guarded<l_status>},
                                 {"events", guarded<l_events>},
                                 {"current", guarded<l_current>},
                                 {"progress", guarded<l_progress>},
                                 {"stop_reason", guarded<l_stop_reason>},
                                 {"complete", guarded<l_complete>},
                                 {"acquire", guarded<l_acquire>},
                                 {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, fns);
  return 1;
}

}  // namespace mr::jobs
