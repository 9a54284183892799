// json/json_internal.hpp — what the encoder, the decoder and the Lua face of moonreel.json share.
#pragma once
#include <lua.hpp>

#include <string_view>

namespace mr::json::detail {

extern const char* const kArrayMt;
extern const char* const kObjectMt;

// The tag metatables live in the registry; `json.array_mt` exposes them.
void push_tag(lua_State* L, const char* key);

enum class Tag { None, Array, Object };
Tag table_tag(lua_State* L, int idx);

// The byte offset of the first invalid UTF-8 sequence, or npos.
size_t invalid_utf8_at(std::string_view s);

}  // namespace mr::json::detail
