// runtime/script_tree.hpp — an immutable in-memory snapshot of an app root's Lua files.
//
// Contract: ScriptTree::load(root) reads every *.lua under api/, scripts/ and
// workflows/ once. Every Lua state of one generation loads from the same
// snapshot, so states created later (a new worker, a REPL session) run exactly
// the code that was validated, even if files changed on disk since.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mr::runtime {

struct ScriptFile {
  std::string relpath;  // "api/v1/projects.lua"
  std::string source;
};

class ScriptTree {
 public:
  // Reads the tree; throws std::runtime_error when a file cannot be read.
  static std::shared_ptr<const ScriptTree> load(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }
  // Files under one top folder ("api", "scripts", "workflows"), sorted by path.
  std::vector<const ScriptFile*> under(const std::string& top) const;
  const ScriptFile* find(const std::string& relpath) const;
  // Maps a module name to its file: "services.projects" → scripts/services/projects.lua
  // (or .../init.lua); names starting with "api." or "workflows." map into those folders.
  const ScriptFile* resolve_module(const std::string& name) const;
  size_t size() const { return files_.size(); }

 private:
  std::filesystem::path root_;
  std::map<std::string, ScriptFile> files_;  // by relpath
};

// Module name of a file: "api/v1/projects.lua" → "api.v1.projects",
// "scripts/services/x.lua" → "services.x".
std::string module_name_for(const std::string& relpath);

}  // namespace mr::runtime
