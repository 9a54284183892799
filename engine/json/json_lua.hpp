// json/json_lua.hpp — the JSON ↔ Lua bridge: one small, exhaustively tested unit.
//
// Contract (docs/lua-api.md, "moonreel.json"):
//   * JSON null ↔ `json.null` (a sentinel distinct from nil / absent).
//   * Arrays and objects decode to tables tagged with `json.array_mt` /
//     `json.object_mt`, so `[]` and `{}` round-trip. An untagged table encodes
//     as an array when its keys are exactly 1..n, as an object when its keys
//     are all strings; an untagged empty table encodes as `{}`.
//   * Numbers: integral values within ±2^53 encode without a decimal point;
//     others use the shortest text that reads back to the same double.
//     NaN and ±inf are refused.
//   * Strings must be valid UTF-8 both ways.
//   * Cycles, mixed or sparse tables, non-string object keys, functions and
//     userdata are refused; so is nesting deeper than max_depth (default 128).
// Errors are thrown as JsonError with a message naming the path ("$.a[2].b").
#pragma once
#include <lua.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace mr::json {

struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr int kDefaultMaxDepth = 128;

struct EncodeOptions {
  bool pretty = false;
  int max_depth = kDefaultMaxDepth;
};

// Appends the JSON text of the value at `idx` to `out`.
void encode(lua_State* L, int idx, std::string& out, const EncodeOptions& opts = {});
std::string encode(lua_State* L, int idx, const EncodeOptions& opts = {});

// Parses `text` and pushes the value. On error, pushes nothing and throws.
void decode(lua_State* L, std::string_view text, int max_depth = kDefaultMaxDepth);

// Pushes the null sentinel; true if the value at idx is it.
void push_null(lua_State* L);
bool is_null(lua_State* L, int idx);

// Sets the array / object tag on the table at idx.
void tag_array(lua_State* L, int idx);
void tag_object(lua_State* L, int idx);

// luaopen for `require("moonreel.json")`.
int luaopen_json(lua_State* L);

}  // namespace mr::json
