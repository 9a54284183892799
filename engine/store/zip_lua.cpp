// store/zip_lua.cpp — `moonreel.zip`: writing and reading zip archives (export bundles) with libzip.
//
//   zip.write(out, { { name = "content.otio", data = text }, { name = "media/a.png", path = "/abs/a.png" } },
//             { compress = true }) → { path, entries, bytes }
//   zip.list(path) → { "content.otio", ... } · zip.read(path, name) → bytes | nil
//
// Contract: entry names are relative, '/'-separated, without "..", empty parts
// or a leading '/', and unique — so an archive never writes outside the folder
// it is unpacked into. The archive is built under a temp name beside `out` and
// renamed into place only when complete: a failure leaves nothing at `out`.
// Files named by `path` are read when the archive is closed. Errors raise with
// libzip's message.
#include <lua.hpp>
#include <zip.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "runtime/lua_state.hpp"
#include "util/ulid.hpp"

namespace mr::store {

namespace {

bool safe_name(const std::string& n) {
  if (n.empty() || n.size() > 1024 || n[0] == '/' || n.find('\\') != std::string::npos) return false;
  size_t start = 0;
  while (start <= n.size()) {
    size_t slash = n.find('/', start);
    std::string part = n.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  for (unsigned char c : n)
    if (c < 32) return false;
  return true;
}

std::string field(lua_State* L, int t, const char* k, bool* present) {
  lua_getfield(L, t, k);
  *present = lua_type(L, -1) == LUA_TSTRING;
  size_t len = 0;
  const char* s = *present ? lua_tolstring(L, -1, &len) : nullptr;
  std::string out = s ? std::string(s, len) : "";
  lua_pop(L, 1);
  return out;
}

struct Archive {
  zip_t* z = nullptr;
  ~Archive() {
    if (z) zip_discard(z);
  }
};

int l_write(lua_State* L) {
  std::filesystem::path out = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  bool compress = true;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "compress");
    if (!lua_isnil(L, -1)) compress = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  std::filesystem::path tmp = out;
  tmp += ".tmp-" + util::new_ulid();
  int err = 0;
  Archive a;
  a.z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_EXCL, &err);
  if (!a.z) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    std::string msg = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    throw std::runtime_error("zip.write: cannot create " + out.string() + ": " + msg);
  }
  // Buffers must outlive zip_close (libzip reads its sources then): copies kept here, at stable addresses.
  std::deque<std::string> buffers;
  std::set<std::string> names;
  int n = static_cast<int>(lua_objlen(L, 2));
  for (int i = 1; i <= n; ++i) {
    lua_rawgeti(L, 2, i);
    if (!lua_istable(L, -1)) throw std::runtime_error("zip.write: entry " + std::to_string(i) + " must be a table");
    int t = lua_gettop(L);
    bool has_name, has_data, has_path;
    std::string name = field(L, t, "name", &has_name);
    if (!has_name || !safe_name(name)) throw std::runtime_error("zip.write: unsafe or missing entry name '" + name + "'");
    if (!names.insert(name).second) throw std::runtime_error("zip.write: duplicate entry '" + name + "'");
    std::string data = field(L, t, "data", &has_data);
    std::string path = field(L, t, "path", &has_path);
    lua_pop(L, 1);
    zip_source_t* src = nullptr;
    if (has_data) {
      buffers.push_back(std::move(data));
      src = zip_source_buffer(a.z, buffers.back().data(), buffers.back().size(), 0);
    } else if (has_path) {
      if (!std::filesystem::is_regular_file(path)) throw std::runtime_error("zip.write: no file " + path);
      src = zip_source_file(a.z, path.c_str(), 0, -1);  // -1: to the end of the file
    } else {
      throw std::runtime_error("zip.write: entry '" + name + "' needs data or path");
    }
    if (!src) throw std::runtime_error(std::string("zip.write: ") + zip_strerror(a.z));
    zip_int64_t idx = zip_file_add(a.z, name.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(src);
      throw std::runtime_error(std::string("zip.write: ") + zip_strerror(a.z));
    }
    zip_set_file_compression(a.z, static_cast<zip_uint64_t>(idx), compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  if (zip_close(a.z) != 0) {
    std::string msg = zip_strerror(a.z);
    std::remove(tmp.c_str());
    throw std::runtime_error("zip.write: " + msg);
  }
  a.z = nullptr;
  std::filesystem::rename(tmp, out);
  lua_createtable(L, 0, 3);
  lua_pushstring(L, out.c_str());
  lua_setfield(L, -2, "path");
  lua_pushinteger(L, n);
  lua_setfield(L, -2, "entries");
  lua_pushnumber(L, static_cast<lua_Number>(std::filesystem::file_size(out)));
  lua_setfield(L, -2, "bytes");
  return 1;
}

struct Reader {
  zip_t* z = nullptr;
  explicit Reader(const char* path) {
    int err = 0;
    z = zip_open(path, ZIP_RDONLY, &err);
    if (!z) throw std::runtime_error(std::string("zip: cannot open ") + path + " (not a zip archive?)");
  }
  ~Reader() {
    if (z) zip_close(z);
  }
};

int l_list(lua_State* L) {
  Reader r(luaL_checkstring(L, 1));
  zip_int64_t n = zip_get_num_entries(r.z, 0);
  lua_createtable(L, static_cast<int>(n), 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    lua_pushstring(L, zip_get_name(r.z, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS));
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
  return 1;
}

int l_read(lua_State* L) {
  Reader r(luaL_checkstring(L, 1));
  const char* name = luaL_checkstring(L, 2);
  zip_stat_t st;
  if (zip_stat(r.z, name, 0, &st) != 0) return 0;
  if (st.size > 512ull * 1024 * 1024) throw std::runtime_error("zip.read: entry too large");
  zip_file_t* f = zip_fopen(r.z, name, 0);
  if (!f) return 0;
  std::string data(static_cast<size_t>(st.size), '\0');
  zip_int64_t got = zip_fread(f, data.data(), st.size);
  zip_fclose(f);
  if (got < 0 || static_cast<zip_uint64_t>(got) != st.size) throw std::runtime_error("zip.read: corrupt entry");
  lua_pushlstring(L, data.data(), data.size());
  return 1;
}

}  // namespace

int luaopen_zip(lua_State* L) {
  static const luaL_Reg fns[] = {{"write", runtime::guarded<l_write>},
                                 {"list", runtime::guarded<l_list>},
                                 {"read", runtime::guarded<l_read>},
                                 {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, fns);
  return 1;
}

}  // namespace mr::store
