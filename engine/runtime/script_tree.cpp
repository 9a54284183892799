// runtime/script_tree.cpp — reading an app root into a ScriptTree snapshot.
#include "runtime/script_tree.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace mr::runtime {

namespace {
const char* const kTopFolders[] = {"api", "scripts", "workflows"};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

std::shared_ptr<const ScriptTree> ScriptTree::load(const fs::path& root) {
  auto tree = std::make_shared<ScriptTree>();
  tree->root_ = root;
  for (const char* top : kTopFolders) {
    fs::path dir = root / top;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (ec) break;
      const auto& entry = *it;
      if (!entry.is_regular_file(ec) || entry.path().extension() != ".lua") continue;
      std::string name = entry.path().filename().string();
      // Editors' swap and backup files (".x.lua.swp" never ends in .lua, but
      // "#x.lua#" and ".#x.lua" do).
      if (name.starts_with(".") || name.starts_with("#")) continue;
      std::string rel = fs::relative(entry.path(), root).generic_string();
      tree->files_[rel] = ScriptFile{rel, read_file(entry.path())};
    }
  }
  return tree;
}

std::vector<const ScriptFile*> ScriptTree::under(const std::string& top) const {
  std::vector<const ScriptFile*> out;
  std::string prefix = top + "/";
  for (const auto& [rel, file] : files_) {
    if (rel.starts_with(prefix)) out.push_back(&file);
  }
  return out;
}

const ScriptFile* ScriptTree::find(const std::string& relpath) const {
  auto it = files_.find(relpath);
  return it == files_.end() ? nullptr : &it->second;
}

const ScriptFile* ScriptTree::resolve_module(const std::string& name) const {
  if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos)
    return nullptr;
  std::string path = name;
  for (char& c : path)
    if (c == '.') c = '/';
  auto try_base = [&](const std::string& base) -> const ScriptFile* {
    if (auto* f = find(base + ".lua")) return f;
    return find(base + "/init.lua");
  };
  if (path.starts_with("api/") || path.starts_with("workflows/")) {
    if (auto* f = try_base(path)) return f;
  }
  return try_base("scripts/" + path);
}

std::string module_name_for(const std::string& relpath) {
  std::string p = relpath;
  if (p.starts_with("scripts/")) p = p.substr(8);
  if (p.ends_with("/init.lua"))
    p = p.substr(0, p.size() - 9);
  else if (p.ends_with(".lua"))
    p = p.substr(0, p.size() - 4);
  for (char& c : p)
    if (c == '/') c = '.';
  return p;
}

}  // namespace mr::runtime
