// runtime/lua_state.cpp — creating states, the module searcher, strict globals, tracebacks.
#include "runtime/lua_state.hpp"

#include <cstring>
#include <regex>

#include "runtime/embedded_lua.hpp"
#include "runtime/native_modules.hpp"
#include "runtime/script_tree.hpp"

namespace mr::runtime {

/* -- Module searcher ----------------------------------------------------- */

namespace {

const char* const kTreeKey = "moonreel.tree";

// package.loaders entry: embedded engine modules first, then the app tree.
int search_module(lua_State* L) {
  std::string name = luaL_checkstring(L, 1);
  for (const auto& m : embedded_modules()) {
    if (m.name == name) {
      if (luaL_loadbuffer(L, m.source.data(), m.source.size(), std::string(m.chunkname).c_str()) != 0)
        return lua_error(L);
      return 1;
    }
  }
  if (name.starts_with("moonreel.")) {
    lua_pushfstring(L, "\n\tno engine module '%s'", name.c_str());
    return 1;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, kTreeKey);
  auto* tree = static_cast<const ScriptTree*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (tree == nullptr) {
    lua_pushfstring(L, "\n\tno app tree loaded for '%s'", name.c_str());
    return 1;
  }
  const ScriptFile* file = tree->resolve_module(name);
  if (file == nullptr) {
    lua_pushfstring(L, "\n\tno file for '%s' under scripts/, api/ or workflows/", name.c_str());
    return 1;
  }
  std::string chunk = "@" + file->relpath;
  if (luaL_loadbuffer(L, file->source.data(), file->source.size(), chunk.c_str()) != 0)
    return lua_error(L);  // syntax errors name file:line
  return 1;
}

void install_searcher(lua_State* L) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "loaders");  // LuaJIT (5.1): package.loaders
  // Keep the preload searcher; replace the filesystem ones so a state only ever
  // sees its snapshot.
  int n = static_cast<int>(lua_objlen(L, -1));
  for (int i = n; i >= 2; --i) {
    lua_pushnil(L);
    lua_rawseti(L, -2, i);
  }
  lua_pushcfunction(L, search_module);
  lua_rawseti(L, -2, 2);
  lua_pop(L, 1);
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "path");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);
}

}  // namespace

/* -- LuaState ------------------------------------------------------------ */

const ScriptTree* tree_of(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kTreeKey);
  auto* tree = static_cast<const ScriptTree*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return tree;
}

LuaState::LuaState(std::shared_ptr<const ScriptTree> tree) : L_(luaL_newstate()), tree_(std::move(tree)) {
  if (L_ == nullptr) throw std::runtime_error("cannot create a Lua state (out of memory)");
  luaL_openlibs(L_);
  lua_pushlightuserdata(L_, const_cast<ScriptTree*>(tree_.get()));
  lua_setfield(L_, LUA_REGISTRYINDEX, kTreeKey);
  install_searcher(L_);
  install_native_modules(L_);
}

LuaState::~LuaState() {
  if (L_ != nullptr) lua_close(L_);
}

void LuaState::seal_globals() {
  std::string err;
  if (!require("moonreel.strict", err)) throw std::runtime_error(err);
  lua_pop(L_, 1);
}

bool LuaState::require(std::string_view name, std::string& err) {
  lua_getglobal(L_, "require");
  lua_pushlstring(L_, name.data(), name.size());
  if (pcall_traceback(L_, 1, 1) != 0) {
    const char* msg = lua_tostring(L_, -1);
    err = msg ? msg : "(error object is not a string)";
    lua_pop(L_, 1);
    return false;
  }
  return true;
}

/* -- Errors -------------------------------------------------------------- */

int traceback_handler(lua_State* L) {
  if (!lua_isstring(L, 1)) return 1;  // structured error: keep as is
  luaL_traceback(L, L, lua_tostring(L, 1), 1);
  return 1;
}

int pcall_traceback(lua_State* L, int nargs, int nresults) {
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, traceback_handler);
  lua_insert(L, base);
  int rc = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  return rc;
}

ErrorLocation parse_error_location(const std::string& msg) {
  static const std::regex re(R"(^([^\s:]+\.lua):(\d+): ([\s\S]*)$)");
  ErrorLocation loc;
  std::string first = msg.substr(0, msg.find("\nstack traceback:"));
  std::smatch m;
  if (std::regex_match(first, m, re)) {
    loc.file = m[1];
    loc.line = std::stoi(m[2]);
    loc.message = m[3];
  } else {
    loc.message = first;
  }
  return loc;
}

}  // namespace mr::runtime
