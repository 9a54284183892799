// runtime/engine_module.cpp — `moonreel.engine`: version, configuration, clocks.
//
// Contract: plain-data facts about the running engine, safe from any state on
// any thread (configuration is published once before threads start).
#include <lua.hpp>

#include <cctype>
#include <chrono>
#include <random>
#include <thread>

#include "config/config.hpp"
#include "json/json_lua.hpp"
#include "runtime/lua_state.hpp"
#include "runtime/script_tree.hpp"
#include "util/time.hpp"
#include "util/ulid.hpp"

namespace mr::runtime {

namespace {

int l_config(lua_State* L) {
  std::string key = luaL_checkstring(L, 1);
  const auto& cfg = config::current();
  nlohmann::json all = cfg.to_json();
  if (!all.contains(key)) {
    lua_pushnil(L);
    return 1;
  }
  json::decode(L, all[key].dump());
  return 1;
}

int l_time(lua_State* L) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  lua_pushnumber(L, std::chrono::duration<double>(now).count());
  return 1;
}

int l_monotonic(lua_State* L) {
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  lua_pushnumber(L, std::chrono::duration<double>(now).count());
  return 1;
}

int l_now_iso(lua_State* L) {
  lua_pushstring(L, util::iso8601(std::chrono::system_clock::now()).c_str());
  return 1;
}

// Blocks this state's thread; meant for streams and tests, never for pacing work.
int l_sleep(lua_State* L) {
  double s = luaL_checknumber(L, 1);
  if (s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(std::min(s, 3600.0)));
  return 0;
}

// A ULID (util/ulid.hpp): sorts by creation time; unique without coordination.
int l_new_id(lua_State* L) {
  std::string id = util::new_ulid();
  lua_pushlstring(L, id.data(), id.size());
  return 1;
}

// Module names directly under a scripts/ folder of this state's tree snapshot:
// engine.modules("exporters") → {"exporters.edl", "exporters.json", ...}, sorted,
// init.lua excluded. Plug-in folders (exporters, providers) use it to find their
// files, so a file saved there appears with the next generation.
int l_modules(lua_State* L) {
  std::string folder = luaL_checkstring(L, 1);
  for (char c : folder)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '/' && c != '-')
      luaL_error(L, "engine.modules: a folder name under scripts/ (letters, digits, _ - /)");
  lua_newtable(L);
  const ScriptTree* tree = tree_of(L);
  if (!tree) return 1;
  std::string prefix = "scripts/" + folder + "/";
  int n = 0;
  for (const ScriptFile* f : tree->under("scripts")) {
    if (!f->relpath.starts_with(prefix)) continue;
    std::string rest = f->relpath.substr(prefix.size());
    if (rest.find('/') != std::string::npos || rest == "init.lua" || !rest.ends_with(".lua")) continue;
    std::string name = module_name_for(f->relpath);
    lua_pushlstring(L, name.data(), name.size());
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

}  // namespace

int luaopen_engine(lua_State* L) {
  static const luaL_Reg fns[] = {{"config", guarded<l_config>}, {"time", l_time},     {"monotonic", l_monotonic},
                                 {"now_iso", l_now_iso},        {"sleep", l_sleep},   {"new_id", l_new_id},
                                 {"modules", guarded<l_modules>},
                                 {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, fns);
  lua_pushstring(L, MOONREEL_VERSION);
  lua_setfield(L, -2, "version");
  return 1;
}

}  // namespace mr::runtime
