// unit/support.hpp — helpers shared by the unit tests: a temporary app root and running Lua text.
//
// Contract: header-only and test-only. TempTree makes a fresh folder per
// instance (removed at scope exit) so tests never share files; run_lua and
// eval_lua run text in a state and leave its stack as they found it.
#pragma once
#include <catch2/catch.hpp>
#include <lua.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "runtime/script_tree.hpp"

namespace mr::test {

// An app root in a fresh temporary folder, removed at scope exit.
struct TempTree {
  std::filesystem::path root;
  TempTree() {
    static int n = 0;
    root = std::filesystem::temp_directory_path() /
           ("moonreel-unit-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::create_directories(root);
  }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  TempTree& file(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories((root / rel).parent_path());
    std::ofstream(root / rel, std::ios::binary) << text;
    return *this;
  }
  std::shared_ptr<const runtime::ScriptTree> load() const { return runtime::ScriptTree::load(root); }
};

// Loads `src` as chunk `chunkname` and runs it; "" on success, else the error message.
inline std::string run_lua(lua_State* L, const std::string& src, const std::string& chunkname = "=test") {
  int top = lua_gettop(L);
  std::string err;
  if (luaL_loadbuffer(L, src.data(), src.size(), chunkname.c_str()) != 0 || lua_pcall(L, 0, 0, 0) != 0)
    err = lua_tostring(L, -1) ? lua_tostring(L, -1) : "(non-string error)";
  lua_settop(L, top);
  return err;
}

// The value of `tostring(<expr>)`; a Lua error fails the test.
inline std::string eval_lua(lua_State* L, const std::string& expr) {
  std::string src = "return tostring(" + expr + ")";
  if (luaL_loadstring(L, src.c_str()) != 0 || lua_pcall(L, 0, 1, 0) != 0) {
    std::string err = lua_tostring(L, -1);
    lua_pop(L, 1);
    FAIL(err);
  }
  std::string out = lua_tostring(L, -1);
  lua_pop(L, 1);
  return out;
}

}  // namespace mr::test
