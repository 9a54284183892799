// store/store_lua.cpp — `moonreel.store`, the Lua face of the artifact store.
//
//   local a = store.put(bytes, { kind = "image", ext = "png", content_type = "image/png",
//                                meta = { source = "upload", filename = "a.png" } })
//   a.url        --> "/files/2026/11/23/image/k3x9qpz2.png"
//   store.sidecar(a.url), store.exists(a.url), store.read(a.url), store.remove(a.url)
// Paths may be given relative to the artifacts root or as "/files/..." URLs.
#include <lua.hpp>

#include <fstream>
#include <sstream>

#include "json/json_lua.hpp"
#include "runtime/lua_state.hpp"
#include "store/store.hpp"
#include "util/ulid.hpp"

#include <cctype>
#include <filesystem>

namespace mr::store {

namespace {

std::string relpath_arg(lua_State* L, int idx) {
  std::string p = luaL_checkstring(L, idx);
  if (p.starts_with("/files/")) p = p.substr(7);
  return p;
}

void push_json(lua_State* L, const nlohmann::json& v) { json::decode(L, v.dump()); }

std::string opt_string(lua_State* L, int t, const char* key, const std::string& def) {
  lua_getfield(L, t, key);
  std::string v = lua_isstring(L, -1) ? lua_tostring(L, -1) : def;
  lua_pop(L, 1);
  return v;
}

int l_put(lua_State* L) {
  size_t n;
  const char* bytes = luaL_checklstring(L, 1, &n);
  PutOptions opts;
  if (lua_istable(L, 2)) {
    opts.kind = opt_string(L, 2, "kind", opts.kind);
    opts.ext = opt_string(L, 2, "ext", opts.ext);
    opts.content_type = opt_string(L, 2, "content_type", opts.content_type);
    lua_getfield(L, 2, "meta");
    if (lua_istable(L, -1)) opts.meta = nlohmann::json::parse(json::encode(L, -1));
    lua_pop(L, 1);
  }
  Artifact a = put(std::string_view(bytes, n), opts);
  push_json(L, a.sidecar);
  return 1;
}

int l_sidecar(lua_State* L) {
  auto s = sidecar(relpath_arg(L, 1));
  if (!s) {
    lua_pushnil(L);
    return 1;
  }
  push_json(L, *s);
  return 1;
}

int l_exists(lua_State* L) {
  lua_pushboolean(L, resolve(relpath_arg(L, 1)).has_value());
  return 1;
}

int l_read(lua_State* L) {
  auto file = resolve(relpath_arg(L, 1));
  if (!file) {
    lua_pushnil(L);
    return 1;
  }
  std::ifstream in(*file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  lua_pushlstring(L, data.data(), data.size());
  return 1;
}

int l_remove(lua_State* L) {
  lua_pushboolean(L, remove(relpath_arg(L, 1)));
  return 1;
}

int l_put_thumbnail(lua_State* L) {
  size_t n;
  std::string rel = relpath_arg(L, 1);
  const char* bytes = luaL_checklstring(L, 2, &n);
  std::string ext = luaL_optstring(L, 3, "png");
  std::string thumb = put_thumbnail(rel, std::string_view(bytes, n), ext);
  lua_pushstring(L, ("/files/" + thumb).c_str());
  return 1;
}

int l_list(lua_State* L) {
  auto all = list();
  push_json(L, nlohmann::json(all));
  return 1;
}

// The absolute file for a stored path or URL (for primitives that read files), or nil.
int l_file_path(lua_State* L) {
  auto file = resolve(relpath_arg(L, 1));
  if (!file) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushstring(L, file->c_str());
  return 1;
}

// A fresh path under <data>/tmp (created) for a primitive's intermediate file,
// e.g. a video being encoded before it is stored. The caller removes it.
int l_temp_path(lua_State* L) {
  std::string ext = luaL_optstring(L, 1, "tmp");
  for (char c : ext)
    if (!std::isalnum(static_cast<unsigned char>(c))) luaL_error(L, "store.temp_path: the extension must be alphanumeric");
  auto dir = root().parent_path() / "tmp";
  std::filesystem::create_directories(dir);
  std::string path = (dir / (util::new_ulid() + "." + ext)).string();
  lua_pushstring(L, path.c_str());
  return 1;
}

int l_root(lua_State* L) {
  lua_pushstring(L, root().c_str());
  return 1;
}

}  // namespace

int luaopen_store(lua_State* L) {
  static const luaL_Reg fns[] = {{"put", runtime::guarded<l_put>},       {"sidecar", runtime::guarded<l_sidecar>},
                                 {"exists", runtime::guarded<l_exists>}, {"read", runtime::guarded<l_read>},
                                 {"remove", runtime::guarded<l_remove>}, {"root", runtime::guarded<l_root>},
                                 {"put_thumbnail", runtime::guarded<l_put_thumbnail>},
                                 {"list", runtime::guarded<l_list>},
                                 {"file_path", runtime::guarded<l_file_path>},
                                 {"temp_path", runtime::guarded<l_temp_path>},
                                 {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, fns);
  return 1;
}

}  // namespace mr::store
