// runtime/lua_state.hpp — an owned LuaJIT state and the glue every state shares.
//
// Contract: a LuaState is created, used and destroyed by one thread at a time
// (design decision 2). It opens the standard libraries, installs the module
// searcher over a ScriptTree snapshot plus the embedded engine modules, and
// refuses undeclared globals once `seal_globals()` is called. C functions
// exposed to Lua go through `guarded<>` so no C++ exception ever unwinds
// through a Lua frame: they become Lua errors with the exception's message.
#pragma once
#include <lua.hpp>

#include <exception>
#include <memory>
#include <string>
#include <string_view>

namespace mr::runtime {

class ScriptTree;

class LuaState {
 public:
  // tree may be null: then only the embedded engine modules are requirable.
  explicit LuaState(std::shared_ptr<const ScriptTree> tree = nullptr);
  ~LuaState();
  LuaState(const LuaState&) = delete;
  LuaState& operator=(const LuaState&) = delete;

  lua_State* get() const { return L_; }
  const std::shared_ptr<const ScriptTree>& tree() const { return tree_; }

  // From now on, reading or writing an undeclared global raises an error that
  // names the file and line of the offending code.
  void seal_globals();

  // Runs `require(name)`; on failure returns false and fills `err` with the
  // message and traceback. Leaves the module's value on the stack on success.
  bool require(std::string_view name, std::string& err);

 private:
  lua_State* L_;
  std::shared_ptr<const ScriptTree> tree_;
};

// The app tree a state loads modules from (nullptr for engine-only states).
const ScriptTree* tree_of(lua_State* L);

// Message handler for lua_pcall: appends a traceback to string errors and
// leaves tables (structured errors) untouched.
int traceback_handler(lua_State* L);

// pcall with traceback_handler; returns LUA_OK or the error code and leaves the
// error value on top. nargs/nresults as for lua_pcall.
int pcall_traceback(lua_State* L, int nargs, int nresults);

// The first "file:line:" prefix in a Lua error message, split into parts.
struct ErrorLocation {
  std::string message, file;
  int line = 0;
};
ErrorLocation parse_error_location(const std::string& msg);

// Wraps a lua_CFunction body that may throw C++ exceptions. Lua errors raised
// inside F (luaL_check*, lua_error) pass through untouched: LuaJIT's own
// unwinding is not a std::exception. The C++ exception is fully handled
// before the Lua error is raised.
template <int (*F)(lua_State*)>
int guarded(lua_State* L) {
  {
    std::string msg;
    try {
      return F(L);
    } catch (const std::exception& e) {
      msg = e.what();
    }
    lua_pushlstring(L, msg.data(), msg.size());
  }
  return lua_error(L);
}

}  // namespace mr::runtime
