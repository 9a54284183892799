// cli/cmd_spec.cpp — `moonreel spec FILE...`: runs Lua specs in a state loaded with the app tree.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "runtime/generation.hpp"
#include "runtime/script_host.hpp"

namespace fs = std::filesystem;

namespace mr::cli {

int cmd_spec(const config::Config& cfg, const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& p : paths) {
    std::vector<fs::path> found;
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file() && e.path().filename().string().ends_with("_spec.lua")) found.push_back(e.path());
      std::sort(found.begin(), found.end());
    } else {
      found.push_back(p);
    }
    for (const auto& f : found) {
      std::ifstream in(f, std::ios::binary);
      if (!in) {
        std::cerr << "moonreel: cannot read " << f << std::endl;
        return 2;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      files.emplace_back(f.string(), ss.str());
    }
  }

  // Specs run against the app's migrated schema in the configured data dir.
  if (!prepare_database(cfg)) return 1;
  runtime::ScriptHost host(cfg.str("root"));
  if (!host.reload()) {
    auto err = host.last_error();
    std::cerr << "moonreel: scripts do not load: " << (err ? err->message : "?") << std::endl;
    return 1;
  }
  auto state = host.current()->make_state();
  lua_State* L = state->lua->get();
  std::string err;
  if (!state->lua->require("moonreel.spec", err)) {
    std::cerr << err << std::endl;
    return 1;
  }
  lua_getfield(L, -1, "run");
  lua_createtable(L, static_cast<int>(files.size()), 0);
  for (size_t i = 0; i < files.size(); ++i) {
    lua_createtable(L, 0, 2);
    lua_pushstring(L, files[i].first.c_str());
    lua_setfield(L, -2, "path");
    lua_pushlstring(L, files[i].second.data(), files[i].second.size());
    lua_setfield(L, -2, "source");
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
  if (runtime::pcall_traceback(L, 1, 3) != 0) {
    std::cerr << lua_tostring(L, -1) << std::endl;
    return 1;
  }
  std::cout << lua_tostring(L, -1) << std::endl;
  return lua_tointeger(L, -2) > 0 ? 1 : 0;
}

}  // namespace mr::cli
