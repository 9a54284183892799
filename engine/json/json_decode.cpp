// json/json_decode.cpp — JSON text → Lua values, through nlohmann's SAX parser straight onto the Lua stack.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "json/json_internal.hpp"
#include "json/json_lua.hpp"

namespace mr::json {

using detail::kArrayMt;
using detail::kObjectMt;
using detail::push_tag;

namespace {

/* -- Decoder ------------------------------------------------------------- */

class LuaSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  LuaSax(lua_State* L, int max_depth) : L_(L), max_depth_(max_depth) {}

  bool null() override {
    push_null(L_);
    return add();
  }
  bool boolean(bool v) override {
    lua_pushboolean(L_, v);
    return add();
  }
  bool number_integer(number_integer_t v) override {
    lua_pushnumber(L_, static_cast<lua_Number>(v));
    return add();
  }
  bool number_unsigned(number_unsigned_t v) override {
    lua_pushnumber(L_, static_cast<lua_Number>(v));
    return add();
  }
  bool number_float(number_float_t v, const string_t&) override {
    lua_pushnumber(L_, v);
    return add();
  }
  bool string(string_t& v) override {
    lua_pushlstring(L_, v.data(), v.size());
    return add();
  }
  bool binary(binary_t&) override {
    error_ = "binary values are not JSON";
    return false;
  }
  bool start_object(std::size_t) override { return open(false); }
  bool key(string_t& k) override {
    lua_pushlstring(L_, k.data(), k.size());
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." → "line 1, column 2: ..."
    auto at = what.find(" at ");
    error_ = "invalid JSON" + (at == std::string::npos ? ": " + what : " at " + what.substr(at + 4));
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  struct Level {
    bool is_array;
    int count;
  };

  bool open(bool is_array) {
    if (static_cast<int>(levels_.size()) >= max_depth_) {
      error_ = "invalid JSON: nesting deeper than " + std::to_string(max_depth_);
      return false;
    }
    if (!lua_checkstack(L_, 3)) {
      error_ = "invalid JSON: Lua stack exhausted";
      return false;
    }
    lua_newtable(L_);
    tag_array_or_object(is_array);
    levels_.push_back({is_array, 0});
    return true;
  }

  void tag_array_or_object(bool is_array) {
    push_tag(L_, is_array ? kArrayMt : kObjectMt);
    lua_setmetatable(L_, -2);
  }

  bool close() {
    levels_.pop_back();
    return add();
  }

  // Attaches the value on top of the stack to the enclosing container.
  bool add() {
    if (levels_.empty()) return true;  // top-level value stays on the stack
    Level& lv = levels_.back();
    if (lv.is_array) {
      lua_rawseti(L_, -2, ++lv.count);
    } else {
      lua_rawset(L_, -3);  // stack: table, key, value
    }
    return true;
  }

  lua_State* L_;
  int max_depth_;
  std::vector<Level> levels_;
  std::string error_;
};


}  // namespace

void decode(lua_State* L, std::string_view text, int max_depth) {
  int top = lua_gettop(L);
  LuaSax sax(L, max_depth);
  bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &sax, nlohmann::json::input_format_t::json, true);
  if (!ok) {
    lua_settop(L, top);
    throw JsonError(sax.error().empty() ? "invalid JSON" : sax.error());
  }
}


}  // namespace mr::json
