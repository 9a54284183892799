// cli/cmd_tools.cpp — `moonreel check | routes | config | repl`.
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "db/db.hpp"
#include "repl/repl.hpp"
#include "runtime/generation.hpp"
#include "runtime/script_host.hpp"

namespace mr::cli {

bool prepare_database(const config::Config& cfg) {
  try {
    db::setup_from_config(cfg);
    return true;
  } catch (const db::DbError& e) {
    std::cerr << "moonreel: " << e.what() << std::endl;
    return false;
  }
}

int cmd_check(const config::Config& cfg) {
  auto tree = runtime::ScriptTree::load(cfg.str("root"));
  int problems = 0;
  // Syntax first, file by file, so every broken file is listed at once.
  runtime::LuaState probe;
  for (const char* top : {"api", "scripts", "workflows"}) {
    for (const auto* f : tree->under(top)) {
      std::string chunk = "@" + f->relpath;
      if (luaL_loadbuffer(probe.get(), f->source.data(), f->source.size(), chunk.c_str()) != 0) {
        std::cout << lua_tostring(probe.get(), -1) << std::endl;
        ++problems;
      }
      lua_settop(probe.get(), 0);
    }
  }
  if (problems == 0) {
    try {
      auto gen = runtime::Generation::build(tree, 1);
      std::cout << "ok: " << tree->size() << " files, " << gen->router().routes().size() << " routes, "
                << gen->workflows().size() << " workflows" << std::endl;
    } catch (const runtime::LoadFailure& e) {
      const auto& loc = e.loc;
      if (!loc.file.empty())
        std::cout << loc.file << ":" << loc.line << ": " << loc.message << std::endl;
      else
        std::cout << loc.message << std::endl;
      ++problems;
    }
  }
  if (problems) std::cout << problems << " problem(s)" << std::endl;
  return problems ? 1 : 0;
}

int cmd_routes(const config::Config& cfg) {
  std::shared_ptr<runtime::Generation> gen;
  try {
    gen = runtime::Generation::build(runtime::ScriptTree::load(cfg.str("root")), 1);
  } catch (const runtime::LoadFailure& e) {
    std::cerr << "moonreel: scripts do not load: " << e.what() << std::endl;
    return 1;
  }
  std::cout << std::left << std::setw(8) << "METHOD" << std::setw(48) << "PATH" << "DECLARED AT" << std::endl;
  auto print = [](const std::string& m, const std::string& p, const std::string& at) {
    std::cout << std::left << std::setw(8) << m << std::setw(48) << p << at << std::endl;
  };
  print("GET", "/health", "(engine)");
  print("GET", "/api/v1/health", "(engine)");
  for (const auto& r : gen->router().routes()) print(r.method, r.pattern, r.file + ":" + std::to_string(r.line));
  return 0;
}

int cmd_config(const config::Config& cfg) {
  auto all = cfg.to_json();
  size_t width = 0;
  for (auto it = all.begin(); it != all.end(); ++it) width = std::max(width, it.key().size());
  for (auto it = all.begin(); it != all.end(); ++it) {
    std::cout << std::left << std::setw(static_cast<int>(width) + 2) << it.key() << std::setw(24)
              << it.value().dump() << " # " << cfg.source_of(it.key()) << std::endl;
  }
  return 0;
}

int cmd_repl(const config::Config& cfg, bool connect, const std::string& socket) {
  if (connect) return repl::run_client(socket.empty() ? socket_path(cfg) : socket);
  // The local REPL sees the same database as `serve` would, migrated.
  if (!prepare_database(cfg)) return 1;
  runtime::ScriptHost host(cfg.str("root"));
  if (!host.reload()) {
    auto err = host.last_error();
    std::cerr << "moonreel: scripts do not load (" << (err ? err->file + ":" + std::to_string(err->line) + ": " +
                                                               err->message : "?")
              << "); the REPL has the engine modules only" << std::endl;
  }
  return repl::run_local(host);
}

}  // namespace mr::cli
