// json/json_encode.cpp — Lua value → JSON text, written directly (no intermediate tree).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "json/json_internal.hpp"
#include "json/json_lua.hpp"

namespace mr::json {

using detail::kArrayMt;
using detail::kObjectMt;
using detail::Tag;
using detail::invalid_utf8_at;
using detail::table_tag;

namespace {

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


}  // namespace mr::json
