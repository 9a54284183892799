// runtime/native_modules.hpp — the engine's C++ modules with a Lua face.
//
// Contract: install_native_modules(L) puts every native module in
// package.preload ("moonreel.json", "moonreel.log", ...), so they load lazily by
// `require` like any Lua module. Each primitive's folder provides its opener.
#pragma once
#include <lua.hpp>

namespace mr::runtime {
void install_native_modules(lua_State* L);
}
