// json/json_lua.cpp — encoder (Lua → text, direct writer) and decoder (nlohmann SAX → Lua stack).
#include "json/json_lua.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "runtime/lua_state.hpp"

namespace mr::json {

namespace {

const char* const kArrayMt = "moonreel.json.array";
const char* const kObjectMt = "moonreel.json.object";

/* -- Tags and the null sentinel ----------------------------------------- */

// The tag metatables live in the registry; `json.array_mt` exposes them.
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

enum class Tag { None, Array, Object };

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

// Returns the byte offset of the first invalid sequence, or npos.
size_t invalid_utf8_at(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return i;
    i += len;
  }
  return std::string_view::npos;
}

/* -- Encoder ------------------------------------------------------------- */

class Encoder {
 public:
  Encoder(lua_State* L, std::string& out, const EncodeOptions& opts) : L_(L), out_(out), opts_(opts) {}

  void value(int idx, int depth) {
    switch (lua_type(L_, idx)) {
      case LUA_TNIL:
        out_ += "null";
        return;
      case LUA_TBOOLEAN:
        out_ += lua_toboolean(L_, idx) ? "true" : "false";
        return;
      case LUA_TNUMBER:
        number(lua_tonumber(L_, idx));
        return;
      case LUA_TSTRING: {
        size_t len;
        const char* s = lua_tolstring(L_, idx, &len);
        string(std::string_view(s, len));
        return;
      }
      case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L_, idx) == nullptr) {
          out_ += "null";
          return;
        }
        fail("cannot encode a light userdata");
      case LUA_TTABLE:
        table(idx, depth);
        return;
      default:
        fail(std::string("cannot encode a ") + lua_typename(L_, lua_type(L_, idx)));
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    std::string path = "$";
    for (const auto& seg : path_)
      path += seg.key ? "." + std::string(seg.key, seg.len) : "[" + std::to_string(seg.index) + "]";
    throw JsonError(what + " at " + path);
  }

  void number(double d) {
    if (!std::isfinite(d)) fail("cannot encode NaN or infinity");
    char buf[32];
    if (d == std::floor(d) && std::fabs(d) <= 9007199254740992.0) {
      auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(d));
      out_.append(buf, r.ptr);
      return;
    }
    auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
    out_.append(buf, r.ptr);
  }

  void string(std::string_view s) {
    if (size_t bad = invalid_utf8_at(s); bad != std::string_view::npos)
      fail("invalid UTF-8 in string (byte " + std::to_string(bad) + ")");
    out_ += '"';
    size_t run = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      const char* esc = nullptr;
      char ubuf[8];
      switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
          if (c < 0x20) {
            std::snprintf(ubuf, sizeof ubuf, "\\u%04x", c);
            esc = ubuf;
          }
      }
      if (esc) {
        out_.append(s.data() + run, i - run);
        out_ += esc;
        run = i + 1;
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_ += '"';
  }

  void newline(int depth) {
    if (!opts_.pretty) return;
    out_ += '\n';
    out_.append(static_cast<size_t>(depth) * 2, ' ');
  }

  void table(int idx, int depth) {
    if (depth >= opts_.max_depth) fail("nesting deeper than " + std::to_string(opts_.max_depth));
    const void* self = lua_topointer(L_, idx);
    if (std::find(open_.begin(), open_.end(), self) != open_.end()) fail("cycle: a table contains itself");
    if (!lua_checkstack(L_, 4)) fail("Lua stack exhausted");
    idx = idx < 0 ? lua_gettop(L_) + idx + 1 : idx;
    open_.push_back(self);
    Tag tag = table_tag(L_, idx);

    // One pass over the table: classify the keys and, while the stack has
    // room, keep every (key, value) pair on it so objects need no second lookup.
    const int base = lua_gettop(L_);
    bool pairs_kept = true;
    size_t n_int = 0, n_str = 0;
    double max_int = 0;
    bool bad_key = false;
    lua_pushnil(L_);
    while (lua_next(L_, idx) != 0) {
      int kt = lua_type(L_, -2);
      if (kt == LUA_TSTRING) {
        ++n_str;
      } else if (kt == LUA_TNUMBER) {
        double k = lua_tonumber(L_, -2);
        if (k >= 1 && k == std::floor(k)) {
          ++n_int;
          max_int = std::max(max_int, k);
        } else {
          bad_key = true;
        }
      } else {
        bad_key = true;
      }
      if (pairs_kept && lua_checkstack(L_, 3)) {
        lua_pushvalue(L_, -2);  // key copy drives lua_next; the pair stays below it
      } else {
        pairs_kept = false;
        lua_pop(L_, 1);
      }
    }
    if (!pairs_kept) lua_settop(L_, base);
    if (bad_key) fail("table has a key that is neither a string nor a positive integer");
    bool as_array;
    if (tag == Tag::Array) {
      if (n_str > 0) fail("array-tagged table has string keys");
      as_array = true;
    } else if (tag == Tag::Object) {
      if (n_int > 0) fail("object-tagged table has integer keys");
      as_array = false;
    } else {
      if (n_int > 0 && n_str > 0) fail("mixed table: both integer and string keys");
      as_array = n_int > 0;
    }
    if (as_array && static_cast<double>(n_int) != max_int)
      fail("sparse array: highest index " + std::to_string(static_cast<long long>(max_int)) + " but " +
           std::to_string(n_int) + " elements");

    if (as_array) {
      lua_settop(L_, base);
      out_ += '[';
      for (size_t i = 1; i <= n_int; ++i) {
        if (i > 1) out_ += ',';
        newline(depth + 1);
        path_.push_back({nullptr, 0, i});
        lua_rawgeti(L_, idx, static_cast<int>(i));
        value(-1, depth + 1);
        lua_pop(L_, 1);
        path_.pop_back();
      }
      if (n_int > 0) newline(depth);
      out_ += ']';
    } else {
      // Sorted keys: deterministic bytes (stable ETags, readable diffs).
      struct Entry {
        std::string_view key;
        int value_slot;  // stack slot of the value, or 0 when pairs were not kept
      };
      std::vector<Entry> entries;
      entries.reserve(n_str);
      if (pairs_kept) {
        for (int slot = base + 1; slot + 1 <= lua_gettop(L_); slot += 2) {
          size_t len;
          const char* k = lua_tolstring(L_, slot, &len);  // a string key: no conversion happens
          entries.push_back({std::string_view(k, len), slot + 1});
        }
      } else {
        lua_pushnil(L_);
        while (lua_next(L_, idx) != 0) {
          lua_pop(L_, 1);
          size_t len;
          const char* k = lua_tolstring(L_, -1, &len);  // strings stay alive: they are keys of the table
          entries.push_back({std::string_view(k, len), 0});
        }
      }
      std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
      out_ += '{';
      bool first = true;
      for (const auto& e : entries) {
        if (!first) out_ += ',';
        first = false;
        newline(depth + 1);
        path_.push_back({e.key.data(), e.key.size(), 0});
        string(e.key);
        out_ += opts_.pretty ? ": " : ":";
        if (e.value_slot) {
          value(e.value_slot, depth + 1);
        } else {
          lua_pushlstring(L_, e.key.data(), e.key.size());
          lua_rawget(L_, idx);
          value(-1, depth + 1);
          lua_pop(L_, 1);
        }
        path_.pop_back();
      }
      if (!entries.empty()) newline(depth);
      out_ += '}';
      lua_settop(L_, base);
    }
    open_.pop_back();
  }

  lua_State* L_;
  std::string& out_;
  const EncodeOptions& opts_;
  std::vector<const void*> open_;
  // Where the encoder is, for error messages only: cheap to push and pop, and
  // turned into text ("$.items[3].name") only when something fails.
  struct Segment {
    const char* key;  // an object key (alive while its table is), or null for an array index
    size_t len;
    size_t index;
  };
  std::vector<Segment> path_;
};

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

void encode(lua_State* L, int idx, std::string& out, const EncodeOptions& opts) {
  int top = lua_gettop(L);
  try {
    Encoder(L, out, opts).value(idx < 0 ? top + idx + 1 : idx, 0);
  } catch (...) {
    lua_settop(L, top);
    throw;
  }
}

std::string encode(lua_State* L, int idx, const EncodeOptions& opts) {
  std::string out;
  out.reserve(256);
  encode(L, idx, out, opts);
  return out;
}

void decode(lua_State* L, std::string_view text, int max_depth) {
  int top = lua_gettop(L);
  LuaSax sax(L, max_depth);
  bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &sax, nlohmann::json::input_format_t::json, true);
  if (!ok) {
    lua_settop(L, top);
    throw JsonError(sax.error().empty() ? "invalid JSON" : sax.error());
  }
}

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
