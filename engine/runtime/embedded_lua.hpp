// runtime/embedded_lua.hpp — the engine's own Lua modules, compiled into the binary.
//
// Contract: embedded_modules() lists every engine/lua/moonreel/*.lua file as
// (module name, chunk name, source). The module searcher serves them to
// `require("moonreel.x")` before any app file, so apps cannot shadow them.
#pragma once
#include <string_view>
#include <vector>

namespace mr::runtime {

struct EmbeddedModule {
  std::string_view name;       // "moonreel.router"
  std::string_view chunkname;  // "@engine/lua/moonreel/router.lua"
  std::string_view source;
};

const std::vector<EmbeddedModule>& embedded_modules();

}  // namespace mr::runtime
