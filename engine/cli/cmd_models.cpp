// cli/cmd_models.cpp — `moonreel models list | pull NAME... | pull --all`.
//
// Contract: loads the app's scripts, declares every model of scripts/models/
// (the same declarations the server uses) and then
//   list: prints each declared model with its state in the models directory
//         (absent / available), size and licence; --json prints the list JSON.
//   pull: for each name, runs tools/models/pull.py (Debian's python3 with
//         python3-torch / -onnx / -numpy) with the model's declaration: npm pack of
//         the pinned version, sha256 check, safe extraction, conversion to
//         TorchScript, the converter's reference check, atomic write of NAME.pt and
//         the NAME.json manifest into models.dir. --all pulls every declared model
//         that has a source, except those marked source.explicit (isnet: pulled
//         only when named). The tool prints the licence.
// Nothing here downloads at serve time: a running server sees the new file at
// the model's next use. Exit 0 when everything asked for was pulled, 1 otherwise.
#include <lua.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "infer/model_manager.hpp"
#include "runtime/script_host.hpp"

#ifndef MOONREEL_SOURCE_DIR
#define MOONREEL_SOURCE_DIR "."
#endif

namespace mr::cli {

namespace {

// Declares the app's models (require("models").declare_all()); false after saying why.
bool declare_models(const config::Config& cfg) {
  runtime::ScriptHost host(cfg.str("root"));
  if (!host.reload()) {
    auto err = host.last_error();
    std::cerr << "moonreel: scripts do not load: "
              << (err ? err->file + ":" + std::to_string(err->line) + ": " + err->message : "?") << std::endl;
    return false;
  }
  auto state = host.current()->make_state();
  lua_State* L = state->lua->get();
  const char* code =
      "local ok, m = pcall(require, 'models') "
      "if not ok then return {} end "
      "local _, problems = m.declare_all() "
      "local out = {} for i, p in ipairs(problems) do out[i] = p.module .. ': ' .. p.error end "
      "return out";
  if (luaL_loadstring(L, code) != 0 || lua_pcall(L, 0, 1, 0) != 0) {
    std::cerr << "moonreel: declaring models failed: " << lua_tostring(L, -1) << std::endl;
    return false;
  }
  int n = static_cast<int>(lua_objlen(L, -1));
  for (int i = 1; i <= n; ++i) {
    lua_rawgeti(L, -1, i);
    std::cerr << "moonreel: model declaration problem: " << lua_tostring(L, -1) << std::endl;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return true;
}

std::string human_bytes(long long b) {
  std::ostringstream s;
  if (b >= (1LL << 20))
    s << std::fixed << std::setprecision(1) << b / double(1 << 20) << " MiB";
  else if (b >= 1024)
    s << b / 1024 << " KiB";
  else
    s << b << " B";
  return s.str();
}

std::filesystem::path tools_dir() {
  if (const char* env = std::getenv("MOONREEL_TOOLS_DIR")) return env;
  return std::filesystem::path(MOONREEL_SOURCE_DIR) / "tools";
}

// Runs python pull.py --spec JSON --dir DIR with the terminal's stdio; its exit code.
int run_pull(const nlohmann::json& spec, const std::filesystem::path& dir) {
  const char* py_env = std::getenv("MOONREEL_PYTHON");
  std::string python = py_env ? py_env : "/usr/bin/python3";
  std::string script = (tools_dir() / "models" / "pull.py").string();
  if (!std::filesystem::exists(script)) {
    std::cerr << "moonreel: " << script << " not found (set MOONREEL_TOOLS_DIR to the source tree's tools/)"
              << std::endl;
    return 1;
  }
  std::string spec_text = spec.dump(), dir_text = dir.string();
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    execl(python.c_str(), python.c_str(), script.c_str(), "--spec", spec_text.c_str(), "--dir", dir_text.c_str(),
          static_cast<char*>(nullptr));
    std::cerr << "moonreel: cannot run " << python << std::endl;
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int list_models(bool as_json) {
  auto list = infer::ModelManager::instance().list();
  if (as_json) {
    std::cout << list.dump(2) << std::endl;
    return 0;
  }
  std::cout << "models directory: " << infer::ModelManager::instance().options().dir.string() << "\n";
  std::cout << std::left << std::setw(28) << "NAME" << std::setw(9) << "TASK" << std::setw(11) << "STATE"
            << std::setw(11) << "SIZE" << "LICENCE\n";
  for (const auto& m : list) {
    long long bytes = m["file_bytes"].is_number() ? m["file_bytes"].get<long long>() : 0;
    std::cout << std::left << std::setw(28) << m.value("name", "") << std::setw(9) << m.value("task", "")
              << std::setw(11) << m.value("state", "") << std::setw(11) << (bytes ? human_bytes(bytes) : "-")
              << m["spec"].value("license", "") << "\n";
  }
  if (list.empty()) std::cout << "(no models declared: add scripts/models/*.lua)\n";
  return 0;
}

}  // namespace

int cmd_models(const config::Config& cfg, const ModelsOptions& opt) {
  if (!declare_models(cfg)) return 1;
  auto& mm = infer::ModelManager::instance();
  if (opt.action == "list") return list_models(opt.json);

  std::vector<std::string> names = opt.names;
  if (opt.all) {
    for (const auto& m : mm.list()) {
      const auto& src = m["spec"]["source"];
      if (src.is_object() && !src.value("explicit", false)) names.push_back(m.value("name", ""));
    }
  }
  if (names.empty()) {
    std::cerr << "moonreel: models pull: name a model (moonreel models list) or pass --all" << std::endl;
    return 2;
  }
  int failed = 0;
  for (const auto& name : names) {
    auto spec = mm.spec(name);
    if (!spec) {
      std::cerr << "moonreel: no model named '" << name << "' is declared (moonreel models list)" << std::endl;
      ++failed;
      continue;
    }
    if (!spec->source.is_object()) {
      std::cerr << "moonreel: model '" << name << "' declares no source to pull from; put "
                << spec->file << " into " << mm.options().dir.string() << " yourself" << std::endl;
      ++failed;
      continue;
    }
    std::cerr << "pulling " << name << " (" << spec->source.value("npm", "") << "@"
              << spec->source.value("version", "") << ")" << std::endl;
    if (run_pull(infer::spec_to_json(*spec), mm.options().dir) != 0) ++failed;
  }
  return failed ? 1 : 0;
}

}  // namespace mr::cli
