// unit/json_bridge_test.cpp — the JSON ↔ Lua bridge (json/json_lua.hpp) through a real LuaState.
//
// Contract under test: null is a sentinel, [] and {} survive a round trip,
// numbers print as integers or shortest doubles, strings are UTF-8 both ways,
// and every refusal (cycle, depth, mixed, sparse, bad key, function, NaN)
// names the path and leaves the Lua stack as it found it.
#include <catch2/catch.hpp>

#include <string>

#include "json/json_lua.hpp"
#include "runtime/lua_state.hpp"

using mr::json::EncodeOptions;
using mr::json::JsonError;

namespace {

/* -- Helpers -------------------------------------------------------------- */

struct Bridge {
  mr::runtime::LuaState state;
  lua_State* L = state.get();

  // Pushes the value of a Lua expression; `json` is in scope.
  void push(const std::string& expr) {
    std::string src = "local json = require('moonreel.json')\nreturn " + expr;
    if (luaL_loadstring(L, src.c_str()) != 0 || lua_pcall(L, 0, 1, 0) != 0) FAIL(lua_tostring(L, -1));
  }

  std::string encode(const std::string& expr, const EncodeOptions& opts = {}) {
    push(expr);
    std::string out = mr::json::encode(L, -1, opts);
    lua_pop(L, 1);
    return out;
  }

  // The message of the JsonError that encoding `expr` throws.
  std::string encode_error(const std::string& expr, const EncodeOptions& opts = {}) {
    push(expr);
    int top = lua_gettop(L);
    std::string msg;
    try {
      mr::json::encode(L, -1, opts);
      FAIL("encoding " << expr << " should have failed");
    } catch (const JsonError& e) {
      msg = e.what();
    }
    CHECK(lua_gettop(L) == top);
    lua_pop(L, 1);
    return msg;
  }

  std::string decode_error(const std::string& text, int max_depth = mr::json::kDefaultMaxDepth) {
    int top = lua_gettop(L);
    std::string msg;
    try {
      mr::json::decode(L, text, max_depth);
      FAIL("decoding " << text << " should have failed");
    } catch (const JsonError& e) {
      msg = e.what();
    }
    CHECK(lua_gettop(L) == top);
    return msg;
  }

  std::string round_trip(const std::string& text) {
    int top = lua_gettop(L);
    mr::json::decode(L, text);
    REQUIRE(lua_gettop(L) == top + 1);
    std::string out = mr::json::encode(L, -1);
    lua_pop(L, 1);
    return out;
  }

  // Decodes `text`, then runs `body` as a Lua function of (value, json) and
  // returns its boolean result.
  bool decoded_satisfies(const std::string& text, const std::string& body) {
    std::string src = "local v, json = ...\n" + body;
    if (luaL_loadstring(L, src.c_str()) != 0) FAIL(lua_tostring(L, -1));
    mr::json::decode(L, text);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "moonreel.json");
    lua_call(L, 1, 1);
    if (lua_pcall(L, 2, 1, 0) != 0) FAIL(lua_tostring(L, -1));
    bool ok = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return ok;
  }

  // Runs a Lua chunk that must return true; `json` is in scope.
  bool lua_true(const std::string& body) {
    std::string src = "local json = require('moonreel.json')\n" + body;
    if (luaL_loadstring(L, src.c_str()) != 0 || lua_pcall(L, 0, 1, 0) != 0) FAIL(lua_tostring(L, -1));
    bool ok = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return ok;
  }
};

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A Lua expression for `depth` nested json.array() tables (built in a loop:
// the Lua parser refuses literals nested that deep).
std::string nested_lua_arrays(int depth) {
  return "(function() local t = json.array(); for _ = 2, " + std::to_string(depth) +
         " do t = json.array({ t }) end; return t end)()";
}

}  // namespace

/* -- Null ---------------------------------------------------------------- */

TEST_CASE("json null decodes to a sentinel that is neither nil nor absent", "[json]") {
  Bridge b;
  mr::json::decode(b.L, "null");
  CHECK(mr::json::is_null(b.L, -1));
  CHECK_FALSE(lua_isnil(b.L, -1));
  lua_pop(b.L, 1);
  CHECK(b.decoded_satisfies(R"({"a":null})", "return v.a == json.null and v.a ~= nil and v.b == nil"));
  CHECK(b.decoded_satisfies("[null,null]", "return #v == 2 and v[1] == json.null"));
}

TEST_CASE("json null encodes as null, and so does a top-level nil", "[json]") {
  Bridge b;
  CHECK(b.encode("json.null") == "null");
  CHECK(b.encode("nil") == "null");
  CHECK(b.encode("{ a = json.null }") == R"({"a":null})");
  CHECK(b.encode("{ json.null, 1 }") == "[null,1]");
  CHECK(b.round_trip(R"({"a":null,"b":[null]})") == R"({"a":null,"b":[null]})");
}

TEST_CASE("a key whose value is nil is absent, unlike one holding json.null", "[json]") {
  Bridge b;
  CHECK(b.encode("{ a = nil, b = 1 }") == R"({"b":1})");
  CHECK(b.encode("{ a = json.null, b = 1 }") == R"({"a":null,"b":1})");
}

TEST_CASE("push_null and is_null agree with the Lua face's json.null", "[json]") {
  Bridge b;
  mr::json::push_null(b.L);
  b.push("json.null");
  CHECK(lua_rawequal(b.L, -1, -2));
  CHECK(mr::json::is_null(b.L, -1));
  lua_pop(b.L, 2);
  lua_pushnil(b.L);
  CHECK_FALSE(mr::json::is_null(b.L, -1));
  lua_pop(b.L, 1);
  CHECK(b.lua_true("return json.is_null(json.null) and not json.is_null(nil) and not json.is_null(false)"));
}

/* -- Arrays and objects -------------------------------------------------- */

TEST_CASE("empty arrays and empty objects survive decode then encode", "[json]") {
  Bridge b;
  CHECK(b.round_trip("[]") == "[]");
  CHECK(b.round_trip("{}") == "{}");
  CHECK(b.round_trip(R"({"a":[],"b":{},"c":[[],{}]})") == R"({"a":[],"b":{},"c":[[],{}]})");
}

TEST_CASE("decoded containers carry the array and object tags", "[json]") {
  Bridge b;
  CHECK(b.decoded_satisfies("[]", "return getmetatable(v) == json.array_mt and json.is_array(v)"));
  CHECK(b.decoded_satisfies("{}", "return getmetatable(v) == json.object_mt and not json.is_array(v)"));
  CHECK(b.decoded_satisfies("[1,2]", "return json.is_array(v) and #v == 2"));
}

TEST_CASE("nested documents round-trip byte for byte when keys are already sorted", "[json]") {
  Bridge b;
  const std::string doc =
      R"({"a":[1,{"b":[true,false,null],"c":"x"}],"d":{"e":{"f":[[1,2],[3]]}},"g":-12.5})";
  CHECK(b.round_trip(doc) == doc);
  CHECK(b.decoded_satisfies(doc, "return v.a[2].b[1] == true and v.d.e.f[2][1] == 3 and v.g == -12.5"));
}

TEST_CASE("an untagged table is an array when its keys are 1..n, an object when they are strings", "[json]") {
  Bridge b;
  CHECK(b.encode("{ 1, 2, 3 }") == "[1,2,3]");
  CHECK(b.encode("{ [1] = 'a', [2] = 'b' }") == R"(["a","b"])");
  CHECK(b.encode("{ a = 1 }") == R"({"a":1})");
  CHECK(b.encode("{}") == "{}");
}

TEST_CASE("json.array and json.object tag tables, with or without an argument", "[json]") {
  Bridge b;
  CHECK(b.encode("json.array()") == "[]");
  CHECK(b.encode("json.object()") == "{}");
  CHECK(b.encode("json.array({})") == "[]");
  CHECK(b.encode("json.array({ 1, 2 })") == "[1,2]");
  CHECK(b.encode("json.object({ a = json.array() })") == R"({"a":[]})");
  CHECK(b.lua_true("local t = {}; return json.array(t) == t and getmetatable(t) == json.array_mt"));
  CHECK(b.lua_true("local t = {}; return json.object(t) == t and getmetatable(t) == json.object_mt"));
  CHECK(b.lua_true("return not pcall(json.array, 5)"));
}

TEST_CASE("a tagged table refuses keys of the other kind", "[json]") {
  Bridge b;
  CHECK_THAT(b.encode_error("json.array({ a = 1 })"), Catch::Contains("array-tagged table has string keys"));
  CHECK_THAT(b.encode_error("json.object({ 1 })"), Catch::Contains("object-tagged table has integer keys"));
}

TEST_CASE("tag_array and tag_object set the tags from C++", "[json]") {
  Bridge b;
  lua_newtable(b.L);
  mr::json::tag_array(b.L, -1);
  CHECK(mr::json::encode(b.L, -1) == "[]");
  mr::json::tag_object(b.L, -1);
  CHECK(mr::json::encode(b.L, -1) == "{}");
  lua_pop(b.L, 1);
}

TEST_CASE("object keys are written in sorted byte order, at every level", "[json]") {
  Bridge b;
  CHECK(b.encode("{ b = 1, a = 2, c = { z = 1, y = 2 } }") == R"({"a":2,"b":1,"c":{"y":2,"z":1}})");
  CHECK(b.encode("{ a = 1, B = 2, ['é'] = 3, z = 4 }") == "{\"B\":2,\"a\":1,\"z\":4,\"\xC3\xA9\":3}");
  CHECK(b.round_trip(R"({"z":1,"a":2})") == R"({"a":2,"z":1})");
}

TEST_CASE("pretty printing indents by two spaces and keeps empty containers short", "[json]") {
  Bridge b;
  EncodeOptions pretty;
  pretty.pretty = true;
  CHECK(b.encode("{ a = { 1, 2 }, b = json.array(), c = {} }", pretty) ==
        "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": [],\n  \"c\": {}\n}");
  CHECK(b.lua_true(R"(return json.encode({ a = 1 }, { pretty = true }) == '{\n  "a": 1\n}')"));
  CHECK(b.lua_true(R"(return json.encode({ a = 1 }, { pretty = false }) == '{"a":1}')"));
}

/* -- Numbers ------------------------------------------------------------- */

TEST_CASE("integral numbers print without a decimal point, others in shortest form", "[json]") {
  Bridge b;
  CHECK(b.encode("1") == "1");
  CHECK(b.encode("-7") == "-7");
  CHECK(b.encode("1.0") == "1");
  CHECK(b.encode("1.5") == "1.5");
  CHECK(b.encode("0.1") == "0.1");
  CHECK(b.encode("0.1 + 0.2") == "0.30000000000000004");
  CHECK(b.encode("1e300") == "1e+300");
  CHECK(b.encode("-1.25e-10") == "-1.25e-10");
  CHECK(b.encode("5e-324") == "5e-324");
}

TEST_CASE("negative zero prints as 0", "[json]") {
  Bridge b;
  CHECK(b.encode("-0.0") == "0");
  CHECK(b.round_trip("-0") == "0");
  CHECK(b.round_trip("-0.0") == "0");
}

TEST_CASE("integers up to 2^53 print exactly; larger integral doubles still read back the same", "[json]") {
  Bridge b;
  CHECK(b.encode("2^53") == "9007199254740992");
  CHECK(b.encode("-2^53") == "-9007199254740992");
  CHECK(b.encode("2^53 - 1") == "9007199254740991");
  CHECK(b.encode("2^53 + 2") == "9007199254740994");
  CHECK(b.encode("2^63") == "9223372036854775808");
  CHECK(b.encode("2^70") == "1180591620717411303424");  // fixed wins the tie with "1.1805916207174113e+21"
  CHECK(b.encode("2^80") == "1.2089258196146292e+24");
  CHECK(b.lua_true("local x = 2^70; return json.decode(json.encode(x)) == x"));
}

TEST_CASE("every double reads back to itself after encoding", "[json]") {
  Bridge b;
  CHECK(b.lua_true(R"(
    for _, x in ipairs({ 1/3, 2/3, 0.1, 1e-7, 123456.789, -2.5e-300, 1.7976931348623157e308, 2^53 + 2 }) do
      if json.decode(json.encode(x)) ~= x then return false end
    end
    return true)"));
}

TEST_CASE("decoded numbers are Lua numbers, integers and floats alike", "[json]") {
  Bridge b;
  CHECK(b.decoded_satisfies("[1, 1.5, -3, 1e2, 2.5E-1]",
                            "return v[1] == 1 and v[2] == 1.5 and v[3] == -3 and v[4] == 100 and v[5] == 0.25"));
  CHECK(b.round_trip("[1.0, 100, 1e2]") == "[1,100,100]");
}

TEST_CASE("NaN and infinity are refused with the path", "[json]") {
  Bridge b;
  CHECK_THAT(b.encode_error("0/0"), Catch::Contains("NaN or infinity") && Catch::Contains("at $"));
  CHECK_THAT(b.encode_error("{ x = 1/0 }"), Catch::Contains("NaN or infinity at $.x"));
  CHECK_THAT(b.encode_error("{ 1, -1/0 }"), Catch::Contains("at $[2]"));
}

TEST_CASE("decoding refuses NaN, Infinity and other non-JSON number spellings", "[json]") {
  Bridge b;
  CHECK_THAT(b.decode_error("NaN"), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("Infinity"), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("01"), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("1."), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("+1"), Catch::StartsWith("invalid JSON"));
}

/* -- Strings ------------------------------------------------------------- */

TEST_CASE("multi-byte UTF-8 and emoji pass through unescaped", "[json]") {
  Bridge b;
  CHECK(b.encode("'h\\195\\169llo'") == "\"h\xC3\xA9llo\"");
  CHECK(b.encode("'\\226\\130\\172'") == "\"\xE2\x82\xAC\"");
  CHECK(b.encode("'\\240\\159\\152\\128'") == "\"\xF0\x9F\x98\x80\"");
  CHECK(b.round_trip("\"caf\xC3\xA9 \xF0\x9F\x8E\xAC\"") == "\"caf\xC3\xA9 \xF0\x9F\x8E\xAC\"");
}

TEST_CASE("\\u escapes decode to UTF-8, surrogate pairs included", "[json]") {
  Bridge b;
  CHECK(b.decoded_satisfies(R"("\u00e9")", "return v == '\\195\\169'"));
  CHECK(b.decoded_satisfies(R"("\u20ac")", "return v == '\\226\\130\\172'"));
  CHECK(b.decoded_satisfies(R"("\ud83d\ude00")", "return v == '\\240\\159\\152\\128'"));
  CHECK(b.decoded_satisfies(R"("a\u0000b")", "return #v == 3 and v:byte(2) == 0"));
}

TEST_CASE("invalid UTF-8 is refused when encoding, in values and keys, with the byte offset", "[json]") {
  Bridge b;
  CHECK_THAT(b.encode_error("'ab\\255'"), Catch::Contains("invalid UTF-8") && Catch::Contains("byte 2"));
  CHECK_THAT(b.encode_error("'\\195'"), Catch::Contains("invalid UTF-8"));             // truncated
  CHECK_THAT(b.encode_error("'\\192\\175'"), Catch::Contains("invalid UTF-8"));        // overlong '/'
  CHECK_THAT(b.encode_error("'\\237\\160\\128'"), Catch::Contains("invalid UTF-8"));   // U+D800
  CHECK_THAT(b.encode_error("'\\244\\144\\128\\128'"), Catch::Contains("invalid UTF-8"));  // > U+10FFFF
  CHECK_THAT(b.encode_error("'\\128'"), Catch::Contains("invalid UTF-8"));             // lone continuation
  CHECK_THAT(b.encode_error("{ a = { 'ok', 'x\\255' } }"), Catch::Contains("at $.a[2]"));
  CHECK_THAT(b.encode_error("{ ['k\\255'] = 1 }"), Catch::Contains("invalid UTF-8"));
}

TEST_CASE("invalid UTF-8 is refused when decoding, raw or as a lone surrogate escape", "[json]") {
  Bridge b;
  CHECK_THAT(b.decode_error("\"ab\xFF\""), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("\"\xC3\""), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("\"\xED\xA0\x80\""), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error(R"("\ud800")"), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error(R"("\ude00x")"), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("{\"k\xFF\":1}"), Catch::StartsWith("invalid JSON"));
}

TEST_CASE("control characters, quotes and backslashes are escaped; other bytes are not", "[json]") {
  Bridge b;
  CHECK(b.encode(R"('a"b\\c')") == R"("a\"b\\c")");
  CHECK(b.encode(R"('\n\r\t\b\f')") == R"("\n\r\t\b\f")");
  CHECK(b.encode(R"('\1\31')") == R"("\u0001\u001f")");
  CHECK(b.encode(R"('a\0b')") == R"("a\u0000b")");
  CHECK(b.encode(R"('/ \127')") == "\"/ \x7F\"");
  CHECK(b.round_trip(R"("tab\there \u0001 \"q\"")") == R"("tab\there \u0001 \"q\"")");
}

TEST_CASE("decoding refuses raw control characters inside strings", "[json]") {
  Bridge b;
  CHECK_THAT(b.decode_error("\"a\nb\""), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error(std::string("\"a\x01") + "\""), Catch::StartsWith("invalid JSON"));
}

/* -- Refusals ------------------------------------------------------------ */

TEST_CASE("a table that contains itself is refused as a cycle, with the path", "[json]") {
  Bridge b;
  CHECK_THAT(b.encode_error("(function() local t = {}; t.self = t; return t end)()"),
             Catch::Contains("cycle") && Catch::Contains("$.self"));
  CHECK_THAT(b.encode_error("(function() local t = {}; t[1] = { t }; return t end)()"),
             Catch::Contains("cycle") && Catch::Contains("$[1][1]"));
}

TEST_CASE("a table referenced twice but not inside itself is not a cycle", "[json]") {
  Bridge b;
  CHECK(b.encode("(function() local s = { 1 }; return { a = s, b = s, c = { s } } end)()") ==
        R"({"a":[1],"b":[1],"c":[[1]]})");
}

TEST_CASE("nesting up to 128 levels is accepted and deeper is refused, both ways", "[json]") {
  Bridge b;
  CHECK(b.round_trip(nested_arrays(128)) == nested_arrays(128));
  CHECK_THAT(b.decode_error(nested_arrays(129)), Catch::Contains("nesting deeper than 128"));
  CHECK(b.encode(nested_lua_arrays(128)) == nested_arrays(128));
  CHECK_THAT(b.encode_error(nested_lua_arrays(129)), Catch::Contains("nesting deeper than 128"));
}

TEST_CASE("the depth limit is a parameter", "[json]") {
  Bridge b;
  EncodeOptions shallow;
  shallow.max_depth = 2;
  CHECK(b.encode("{ { 1 } }", shallow) == "[[1]]");
  CHECK_THAT(b.encode_error("{ { { 1 } } }", shallow), Catch::Contains("nesting deeper than 2"));
  CHECK_THAT(b.decode_error("[[[1]]]", 2), Catch::Contains("nesting deeper than 2"));
}

TEST_CASE("very deep input fails cleanly instead of overflowing a stack", "[json]") {
  Bridge b;
  CHECK_THAT(b.decode_error(std::string(100000, '[')), Catch::Contains("nesting deeper than 128"));
  CHECK_THAT(b.encode_error("(function() local t = {}; for i = 1, 10000 do t = { t } end; return t end)()"),
             Catch::Contains("nesting deeper than 128"));
}

TEST_CASE("a table with both integer and string keys is refused as mixed", "[json]") {
  Bridge b;
  CHECK_THAT(b.encode_error("{ 1, a = 2 }"), Catch::Contains("mixed") && Catch::Contains("at $"));
  CHECK_THAT(b.encode_error("{ a = { 1, b = 2 } }"), Catch::Contains("mixed") && Catch::Contains("at $.a"));
}

TEST_CASE("an array with holes is refused as sparse", "[json]") {
  Bridge b;
  CHECK_THAT(b.encode_error("{ [1] = 1, [3] = 3 }"), Catch::Contains("sparse"));
  CHECK_THAT(b.encode_error("{ [2] = 'x' }"), Catch::Contains("sparse"));
  CHECK_THAT(b.encode_error("{ 1, nil, 3 }"), Catch::Contains("sparse"));
}

TEST_CASE("keys that are neither strings nor positive integers are refused", "[json]") {
  Bridge b;
  CHECK_THAT(b.encode_error("{ [0] = 1 }"), Catch::Contains("neither a string nor a positive integer"));
  CHECK_THAT(b.encode_error("{ [-1] = 1 }"), Catch::Contains("neither a string nor a positive integer"));
  CHECK_THAT(b.encode_error("{ [1.5] = 1 }"), Catch::Contains("neither a string nor a positive integer"));
  CHECK_THAT(b.encode_error("{ [true] = 1 }"), Catch::Contains("neither a string nor a positive integer"));
  CHECK_THAT(b.encode_error("{ [{}] = 1 }"), Catch::Contains("neither a string nor a positive integer"));
  CHECK_THAT(b.encode_error("json.object({ [1] = 'x' })"), Catch::Contains("integer keys"));
}

TEST_CASE("functions, coroutines, userdata and non-null light userdata are refused", "[json]") {
  Bridge b;
  CHECK_THAT(b.encode_error("{ f = function() end }"), Catch::Contains("cannot encode a function at $.f"));
  CHECK_THAT(b.encode_error("coroutine.create(function() end)"), Catch::Contains("cannot encode a thread"));
  CHECK_THAT(b.encode_error("{ io.stdout }"), Catch::Contains("cannot encode a userdata at $[1]"));
  static int dummy;
  lua_pushlightuserdata(b.L, &dummy);
  CHECK_THROWS_WITH(mr::json::encode(b.L, -1), Catch::Contains("light userdata"));
  lua_pop(b.L, 1);
}

TEST_CASE("error messages name the path down to the offending value", "[json]") {
  Bridge b;
  CHECK_THAT(b.encode_error("{ a = { 1, function() end } }"), Catch::EndsWith("at $.a[2]"));
  CHECK_THAT(b.encode_error("{ a = { 1, { b = 0/0 } } }"), Catch::EndsWith("at $.a[2].b"));
  CHECK_THAT(b.encode_error("{ { { x = { 1, 2, print } } } }"), Catch::EndsWith("at $[1][1].x[3]"));
}

TEST_CASE("a failed encode leaves the Lua stack as it was, and so does a failed decode", "[json]") {
  Bridge b;
  lua_pushinteger(b.L, 7);  // something below, which must stay
  b.encode_error("{ a = { { f = print } } }");
  b.encode_error("(function() local t = {}; t.t = t; return t end)()");
  b.decode_error(R"({"a":[1,2,{"b":)");
  b.decode_error(nested_arrays(200));
  REQUIRE(lua_gettop(b.L) == 1);
  CHECK(lua_tointeger(b.L, 1) == 7);
}

TEST_CASE("a successful decode pushes exactly one value and encode pushes none", "[json]") {
  Bridge b;
  mr::json::decode(b.L, R"({"a":[1,2,3],"b":{"c":null}})");
  CHECK(lua_gettop(b.L) == 1);
  mr::json::encode(b.L, 1);
  CHECK(lua_gettop(b.L) == 1);
}

/* -- Decode errors ------------------------------------------------------- */

TEST_CASE("decode errors say where: line and column", "[json]") {
  Bridge b;
  std::string msg = b.decode_error("{\n  \"a\": 1,\n  \"b\": @\n}");
  CHECK_THAT(msg, Catch::StartsWith("invalid JSON at line 3, column 8: syntax error"));
  CHECK_THAT(b.decode_error("[1,]"), Catch::Contains("line 1, column 4"));
}

TEST_CASE("decoding refuses empty input, trailing garbage and unquoted keys", "[json]") {
  Bridge b;
  CHECK_THAT(b.decode_error(""), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("   "), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("1 2"), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("{a:1}"), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("[1,2"), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(b.decode_error("'x'"), Catch::StartsWith("invalid JSON"));
}

TEST_CASE("top-level scalars decode", "[json]") {
  Bridge b;
  CHECK(b.decoded_satisfies("true", "return v == true"));
  CHECK(b.decoded_satisfies("false", "return v == false"));
  CHECK(b.decoded_satisfies("42", "return v == 42"));
  CHECK(b.decoded_satisfies(R"("s")", "return v == 's'"));
  CHECK(b.decoded_satisfies("  [1]  ", "return v[1] == 1"));
}

/* -- The Lua face -------------------------------------------------------- */

TEST_CASE("json.encode and json.decode raise catchable Lua errors carrying the message", "[json]") {
  Bridge b;
  CHECK(b.lua_true(R"(
    local ok, err = pcall(json.encode, { a = { 1, print } })
    return not ok and err:find("cannot encode a function at $.a[2]", 1, true) ~= nil)"));
  CHECK(b.lua_true(R"(
    local ok, err = pcall(json.decode, "[1,")
    return not ok and err:find("invalid JSON at line 1", 1, true) ~= nil)"));
  CHECK(b.lua_true("return not pcall(json.decode, nil) and not pcall(json.decode, {})"));
  // The state is still usable afterwards.
  CHECK(b.lua_true("return json.encode(json.decode('[1,{}]')) == '[1,{}]'"));
}

TEST_CASE("json.is_array says true only for array-tagged tables", "[json]") {
  Bridge b;
  CHECK(b.lua_true("return json.is_array(json.array()) and json.is_array(json.decode('[1]'))"));
  CHECK(b.lua_true("return not json.is_array({ 1, 2 }) and not json.is_array(json.object()) and not json.is_array(3)"));
}
