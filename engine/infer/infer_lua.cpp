// infer/infer_lua.cpp — `moonreel.infer`: TorchScript models on image handles.
//
//   infer.declare(spec) → name          (scripts/models/*.lua; see model_spec.hpp)
//   infer.run(name, img [, {tile, overlap, progress = function(done, total)}]) → img | nil, info
//   infer.models() → {info...} · infer.model(name) → info | nil · infer.spec(name) → spec | nil
//   infer.load(name) → info · infer.unload(name) → bool · infer.device() → {device, reason, ...}
//
// Contract: images stay C++ handles; the pixels never become Lua values. A
// failure the caller can act on (unknown or absent model, bad checksum, wrong
// shape, image too large) raises a moonreel.errors value with its HTTP status
// and code, so a route answers with the envelope and a workflow fails with the
// code. Inside a job, a cancel or timeout stops the run between tiles; an
// error raised by `progress` (ctx.progress stopping) propagates unchanged.
#include <lua.hpp>

#include "infer/model_manager.hpp"
#include "jobs/job_context.hpp"
#include "json/json_lua.hpp"
#include "media/image_handle.hpp"
#include "runtime/lua_state.hpp"

namespace mr::infer {

namespace {

using nlohmann::json;

void push(lua_State* L, const json& v) { ::mr::json::decode(L, v.dump()); }

// errors.new(status, code, message) raised as the Lua error value.
int raise_http(lua_State* L, int status, const std::string& code, const std::string& message) {
  lua_getglobal(L, "require");
  lua_pushstring(L, "moonreel.errors");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "new");
  lua_pushinteger(L, status);
  lua_pushstring(L, code.c_str());
  lua_pushstring(L, message.c_str());
  lua_call(L, 3, 1);
  return lua_error(L);
}

// Runs f; an InferError becomes an HTTP-shaped Lua error (raised after the C++ scope is left).
template <typename F>
int with_errors(lua_State* L, F f) {
  int status = 0;
  std::string code, message;
  try {
    return f();
  } catch (const InferError& e) {
    status = e.status;
    code = e.code;
    message = e.what();
  }
  return raise_http(L, status, code, message);
}

int l_declare(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  ModelSpec s = spec_from_json(json::parse(::mr::json::encode(L, 1)));
  ModelManager::instance().declare(s);
  lua_pushstring(L, s.name.c_str());
  return 1;
}

int l_run(lua_State* L) {
  std::string name = luaL_checkstring(L, 1);
  const cv::Mat& img = media::check_image(L, 2);
  RunOptions ro;
  int progress_idx = 0;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "tile");
    if (lua_isnumber(L, -1)) ro.tile = static_cast<int>(lua_tointeger(L, -1));
    lua_getfield(L, 3, "overlap");
    if (lua_isnumber(L, -1)) ro.overlap = static_cast<int>(lua_tointeger(L, -1));
    lua_pop(L, 2);
    lua_getfield(L, 3, "progress");
    if (lua_isfunction(L, -1)) progress_idx = lua_gettop(L);
    else lua_pop(L, 1);
  }
  if (ro.tile > 8192 || ro.tile < -1) luaL_error(L, "infer.run: tile must be 0 (whole image) .. 8192");
  int callback_error = LUA_NOREF;  // the progress callback's error value, re-raised as is
  ro.progress = [&](int done, int total) {
    if (!progress_idx) return true;
    lua_pushvalue(L, progress_idx);
    lua_pushinteger(L, done);
    lua_pushinteger(L, total);
    if (lua_pcall(L, 2, 0, 0) != 0) {
      callback_error = luaL_ref(L, LUA_REGISTRYINDEX);
      return false;
    }
    return true;
  };
  ro.should_stop = [] {
    jobs::JobContext* ctx = jobs::current();
    return ctx && ctx->stop_reason() != nullptr;
  };
  int status = 0;
  std::string code, message;
  {
    RunResult r;
    try {
      r = ModelManager::instance().run(name, img, ro);
    } catch (const InferError& e) {
      status = e.status;
      code = e.code;
      message = e.what();
    }
    if (!status && callback_error == LUA_NOREF) {
      if (r.image.empty()) lua_pushnil(L);
      else media::push_image(L, std::move(r.image));
      push(L, r.info);
      return 2;
    }
  }
  if (callback_error != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, callback_error);
    luaL_unref(L, LUA_REGISTRYINDEX, callback_error);
    return lua_error(L);
  }
  return raise_http(L, status, code, message);
}

int l_models(lua_State* L) {
  push(L, ModelManager::instance().list());
  return 1;
}

int l_model(lua_State* L) {
  std::string name = luaL_checkstring(L, 1);
  if (!ModelManager::instance().spec(name)) return 0;
  push(L, ModelManager::instance().info(name));
  return 1;
}

int l_spec(lua_State* L) {
  auto s = ModelManager::instance().spec(luaL_checkstring(L, 1));
  if (!s) return 0;
  push(L, spec_to_json(*s));
  return 1;
}

int l_load(lua_State* L) {
  std::string name = luaL_checkstring(L, 1);
  return with_errors(L, [&] {
    push(L, ModelManager::instance().load(name));
    return 1;
  });
}

int l_unload(lua_State* L) {
  std::string name = luaL_checkstring(L, 1);
  return with_errors(L, [&] {
    lua_pushboolean(L, ModelManager::instance().unload(name));
    return 1;
  });
}

int l_device(lua_State* L) {
  push(L, ModelManager::instance().device_info());
  return 1;
}

}  // namespace

int luaopen_infer(lua_State* L) {
  media::ensure_image_meta(L);
  static const luaL_Reg fns[] = {{"declare", runtime::guarded<l_declare>},
                                 {"run", runtime::guarded<l_run>},
                                 {"models", runtime::guarded<l_models>},
                                 {"model", runtime::guarded<l_model>},
                                 {"spec", runtime::guarded<l_spec>},
                                 {"load", runtime::guarded<l_load>},
                                 {"unload", runtime::guarded<l_unload>},
                                 {"device", runtime::guarded<l_device>},
                                 {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, fns);
  return 1;
}

}  // namespace mr::infer
