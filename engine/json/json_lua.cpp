// json/json_lua.cpp — the Lua face of moonreel.json, the tags and the null sentinel.
// The encoder is json_encode.cpp, the decoder json_decode.cpp.
#include "json/json_lua.hpp"

#include <string>

#include "json/json_internal.hpp"
#include "util/utf8.hpp"
#include "runtime/lua_state.hpp"

namespace mr::json {

/* -- Shared with the encoder and decoder (json_internal.hpp) -------------- */

namespace detail {

const char* const kArrayMt = "moonreel.json.array";
const char* const kObjectMt = "moonreel.json.object";

/* -- Tags and the null sentinel ----------------------------------------- */

void push_tag(lua_State* L, const char* key) {
  lua_getfield(L, LUA_REGISTRYINDEX, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushstring(L, key == kArrayMt ? "array" : "object");
    lua_setfield(L, -2, "__jsontype");
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, key);
  }
}

Tag table_tag(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return Tag::None;
  push_tag(L, kArrayMt);
  if (lua_rawequal(L, -1, -2)) {
    lua_pop(L, 2);
    return Tag::Array;
  }
  lua_pop(L, 1);
  push_tag(L, kObjectMt);
  bool obj = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return obj ? Tag::Object : Tag::None;
}


/* -- UTF-8 --------------------------------------------------------------- */

size_t invalid_utf8_at(std::string_view s) { return util::invalid_utf8_at(s); }


}  // namespace detail

using detail::Tag;
using detail::kArrayMt;
using detail::kObjectMt;
using detail::push_tag;
using detail::table_tag;

namespace {

/* -- Lua face ------------------------------------------------------------ */

int l_encode(lua_State* L) {
  EncodeOptions opts;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "pretty");
    opts.pretty = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  lua_settop(L, 1);
  std::string out = encode(L, 1, opts);
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

int l_decode(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  decode(L, std::string_view(s, len));
  return 1;
}

int l_array(lua_State* L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  tag_array(L, 1);
  return 1;
}

int l_object(lua_State* L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  tag_object(L, 1);
  return 1;
}

int l_is_array(lua_State* L) {
  lua_pushboolean(L, lua_istable(L, 1) && table_tag(L, 1) == Tag::Array);
  return 1;
}

int l_is_null(lua_State* L) {
  lua_pushboolean(L, is_null(L, 1));
  return 1;
}

}  // namespace

void push_null(lua_State* L) { lua_pushlightuserdata(L, nullptr); }

bool is_null(lua_State* L, int idx) {
  return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == nullptr;
}

void tag_array(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  push_tag(L, kArrayMt);
  lua_setmetatable(L, idx);
}

void tag_object(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  push_tag(L, kObjectMt);
  lua_setmetatable(L, idx);
}

int luaopen_json(lua_State* L) {
  static const luaL_Reg fns[] = {
      {"encode", runtime::guarded<l_encode>}, {"decode", runtime::guarded<l_decode>},
      {"array", l_array},                     {"object", l_object},
      {"is_array", l_is_array},               {"is_null", l_is_null},
      {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, fns);
  push_null(L);
  lua_setfield(L, -2, "null");
  push_tag(L, kArrayMt);
  lua_setfield(L, -2, "array_mt");
  push_tag(L, kObjectMt);
  lua_setfield(L, -2, "object_mt");
  return 1;
}

}  // namespace mr::json
