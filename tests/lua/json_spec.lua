-- tests/lua/json_spec.lua — moonreel.json as Lua code sees it: null, tags, numbers,
-- strings, sorted keys, and every refusal naming its path.
local json = require("moonreel.json")

local function self_containing()
  local t = { name = "loop" }
  t.self = t
  return t
end

local function nested(depth)
  local t = json.array()
  for _ = 2, depth do t = json.array({ t }) end
  return t
end

describe("json.null", function()
  it("is a value distinct from nil and false", function()
    assert(json.null ~= nil)
    assert(json.null ~= false)
    assert.equal("userdata", type(json.null))
  end)

  it("is recognised by json.is_null, which says false for nil", function()
    assert.truthy(json.is_null(json.null))
    assert.falsy(json.is_null(nil))
    assert.falsy(json.is_null(false))
    assert.falsy(json.is_null(0))
  end)

  it("keeps a key present where nil would drop it", function()
    assert.equal('{"a":null,"b":1}', json.encode({ a = json.null, b = 1 }))
    assert.equal('{"b":1}', json.encode({ a = nil, b = 1 }))
  end)

  it("is what JSON null decodes to", function()
    local v = json.decode('{"a":null,"list":[null]}')
    assert.equal(json.null, v.a)
    assert.equal(json.null, v.list[1])
    assert.equal(1, #v.list)
  end)
end)

describe("json.encode()", function()
  it("writes a table with keys 1..n as an array and one with string keys as an object", function()
    assert.equal("[1,2,3]", json.encode({ 1, 2, 3 }))
    assert.equal('{"a":1}', json.encode({ a = 1 }))
  end)

  it("writes an untagged empty table as {} and json.array() as []", function()
    assert.equal("{}", json.encode({}))
    assert.equal("[]", json.encode(json.array()))
    assert.equal("{}", json.encode(json.object()))
  end)

  it("writes object keys in sorted order, so equal values give equal bytes", function()
    assert.equal('{"a":1,"b":{"x":1,"y":2},"c":3}', json.encode({ c = 3, b = { y = 2, x = 1 }, a = 1 }))
  end)

  it("writes integral numbers without a decimal point and others in shortest form", function()
    assert.equal("1", json.encode(1))
    assert.equal("1", json.encode(1.0))
    assert.equal("-42", json.encode(-42))
    assert.equal("1.5", json.encode(1.5))
    assert.equal("0.1", json.encode(0.1))
    assert.equal("9007199254740992", json.encode(2 ^ 53))
    assert.equal("1e+300", json.encode(1e300))
  end)

  it("writes booleans, strings and a top-level nil", function()
    assert.equal("true", json.encode(true))
    assert.equal("false", json.encode(false))
    assert.equal('"hi"', json.encode("hi"))
    assert.equal("null", json.encode(nil))
  end)

  it("escapes quotes, backslashes and control characters, and keeps UTF-8 as is", function()
    assert.equal([["a\"b\\c"]], json.encode('a"b\\c'))
    assert.equal([["line\nnext\ttab\u0001"]], json.encode("line\nnext\ttab\1"))
    assert.equal('"caf\195\169 \240\159\142\172"', json.encode("caf\195\169 \240\159\142\172"))
  end)

  it("indents by two spaces when asked to be pretty", function()
    assert.equal('{\n  "a": [\n    1,\n    2\n  ],\n  "b": {}\n}', json.encode({ a = { 1, 2 }, b = {} }, { pretty = true }))
  end)

  it("refuses a table that contains itself", function()
    assert.error(function() json.encode(self_containing()) end, "cycle: a table contains itself at $.self")
  end)

  it("accepts the same table twice when it is not inside itself", function()
    local shared = { 1 }
    assert.equal('{"a":[1],"b":[1]}', json.encode({ a = shared, b = shared }))
  end)

  it("refuses nesting deeper than 128", function()
    assert.equal(string.rep("[", 128) .. string.rep("]", 128), json.encode(nested(128)))
    assert.error(function() json.encode(nested(129)) end, "nesting deeper than 128")
  end)

  it("refuses a table mixing integer and string keys", function()
    assert.error(function() json.encode({ items = { 1, 2, name = "x" } }) end,
                 "mixed table: both integer and string keys at $.items")
  end)

  it("refuses a sparse array", function()
    assert.error(function() json.encode({ [1] = "a", [3] = "c" }) end, "sparse array")
  end)

  it("refuses keys that are neither strings nor positive integers", function()
    assert.error(function() json.encode({ [0] = 1 }) end, "neither a string nor a positive integer")
    assert.error(function() json.encode({ [true] = 1 }) end, "neither a string nor a positive integer")
    assert.error(function() json.encode(json.object({ "x" })) end, "object-tagged table has integer keys")
  end)

  it("refuses functions, coroutines and userdata, naming the path", function()
    assert.error(function() json.encode({ items = { 1, 2, { name = print } } }) end,
                 "cannot encode a function at $.items[3].name")
    assert.error(function() json.encode(coroutine.create(function() end)) end, "cannot encode a thread at $")
    assert.error(function() json.encode({ io.stdout }) end, "cannot encode a userdata at $[1]")
  end)

  it("refuses NaN and the infinities", function()
    assert.error(function() json.encode(0 / 0) end, "cannot encode NaN or infinity")
    assert.error(function() json.encode({ x = 1 / 0 }) end, "NaN or infinity at $.x")
    assert.error(function() json.encode({ -1 / 0 }) end, "NaN or infinity at $[1]")
  end)

  it("refuses invalid UTF-8 in values and in keys", function()
    assert.error(function() json.encode({ name = "ab\255" }) end, "invalid UTF-8 in string (byte 2) at $.name")
    assert.error(function() json.encode({ ["k\192\175"] = 1 }) end, "invalid UTF-8")
  end)

  it("leaves the state usable after a refusal", function()
    pcall(json.encode, self_containing())
    assert.equal('{"ok":true}', json.encode({ ok = true }))
  end)
end)

describe("json.decode()", function()
  it("tags arrays and objects so [] and {} survive a round trip", function()
    assert.equal('{"a":[],"b":{},"c":[{}]}', json.encode(json.decode('{"a":[],"b":{},"c":[{}]}')))
    assert.truthy(json.is_array(json.decode("[]")))
    assert.equal(json.object_mt, getmetatable(json.decode("{}")))
    assert.equal(json.array_mt, getmetatable(json.decode("[1]")))
  end)

  it("gives nested tables that compare deeply with plain ones", function()
    assert.same({ a = { 1, 2, { b = true } }, s = "x" }, json.decode('{"a":[1,2,{"b":true}],"s":"x"}'))
  end)

  it("reads numbers as Lua numbers", function()
    assert.same({ 1, 1.5, -3, 100, 0.25 }, json.decode("[1, 1.5, -3, 1e2, 2.5E-1]"))
  end)

  it("reads \\u escapes, surrogate pairs included, into UTF-8", function()
    assert.equal("\195\169", json.decode([["\u00e9"]]))
    assert.equal("\240\159\152\128", json.decode([["\ud83d\ude00"]]))
    assert.equal("a\0b", json.decode([["a\u0000b"]]))
  end)

  it("reads top-level scalars", function()
    assert.equal(true, json.decode("true"))
    assert.equal(42, json.decode(" 42 "))
    assert.equal("s", json.decode('"s"'))
    assert.equal(json.null, json.decode("null"))
  end)

  it("says where the text is wrong, by line and column", function()
    assert.error(function() json.decode('{\n  "a": 1,\n  "b": @\n}') end, "invalid JSON at line 3, column 8")
    assert.error(function() json.decode("[1,]") end, "invalid JSON at line 1, column 4")
  end)

  it("refuses empty input, trailing text, single quotes and comments", function()
    assert.error(function() json.decode("") end, "invalid JSON")
    assert.error(function() json.decode("1 2") end, "invalid JSON")
    assert.error(function() json.decode("{'a':1}") end, "invalid JSON")
    assert.error(function() json.decode("[1] // note") end, "invalid JSON")
  end)

  it("refuses NaN, Infinity and leading zeros", function()
    assert.error(function() json.decode("NaN") end, "invalid JSON")
    assert.error(function() json.decode("[Infinity]") end, "invalid JSON")
    assert.error(function() json.decode("012") end, "invalid JSON")
  end)

  it("refuses invalid UTF-8 and lone surrogates", function()
    assert.error(function() json.decode('"ab\255"') end, "invalid JSON")
    assert.error(function() json.decode([["\ud800"]]) end, "invalid JSON")
  end)

  it("refuses nesting deeper than 128, however deep the input", function()
    assert.equal(128, (function()
      local v, depth = json.decode(string.rep("[", 128) .. string.rep("]", 128)), 1
      while v[1] do v, depth = v[1], depth + 1 end
      return depth
    end)())
    assert.error(function() json.decode(string.rep("[", 129) .. string.rep("]", 129)) end,
                 "nesting deeper than 128")
    assert.error(function() json.decode(string.rep("[", 100000)) end, "nesting deeper than 128")
  end)

  it("refuses a value that is not a string", function()
    assert.error(function() json.decode(nil) end, "string expected")
    assert.error(function() json.decode({}) end, "string expected")
  end)
end)

describe("json.array() and json.object()", function()
  it("tag and return the table they are given", function()
    local t = { 1, 2 }
    assert.equal(t, json.array(t))
    assert.equal(json.array_mt, getmetatable(t))
    local o = {}
    assert.equal(o, json.object(o))
    assert.equal(json.object_mt, getmetatable(o))
  end)

  it("make a new empty table when given none", function()
    assert.equal("[]", json.encode(json.array()))
    assert.equal("{}", json.encode(json.object()))
    assert(json.array() ~= json.array())
  end)

  it("are the same tags as setting json.array_mt or json.object_mt by hand", function()
    assert.equal("[]", json.encode(setmetatable({}, json.array_mt)))
    assert.truthy(json.is_array(setmetatable({}, json.array_mt)))
  end)

  it("refuse keys of the other kind when encoding", function()
    assert.error(function() json.encode(json.array({ a = 1 })) end, "array-tagged table has string keys")
    assert.error(function() json.encode(json.object({ 1 })) end, "object-tagged table has integer keys")
  end)

  it("refuse a value that is not a table", function()
    assert.error(function() json.array(5) end, "table expected")
    assert.error(function() json.object("x") end, "table expected")
  end)
end)

describe("json.is_array()", function()
  it("is true only for array-tagged tables", function()
    assert.truthy(json.is_array(json.array({ 1 })))
    assert.falsy(json.is_array({ 1, 2 }))
    assert.falsy(json.is_array(json.object()))
    assert.falsy(json.is_array("[]"))
    assert.falsy(json.is_array(nil))
  end)
end)
