-- tests/lua/inspect_spec.lua — moonreel.inspect: the REPL's printer for any Lua value
-- (scalars, sorted keys, indentation, json.null, [] vs {}, cycles, depth).
local inspect = require("moonreel.inspect")
local json = require("moonreel.json")

describe("inspect() of a scalar", function()
  it("prints numbers, booleans and nil as Lua does", function()
    assert.equal("12", inspect(12))
    assert.equal("1.5", inspect(1.5))
    assert.equal("true", inspect(true))
    assert.equal("nil", inspect(nil))
  end)

  it("quotes strings and escapes newlines on one line", function()
    assert.equal('"hi"', inspect("hi"))
    assert.equal('"say \\"x\\""', inspect('say "x"'))
    assert.equal('"a\\nb"', inspect("a\nb"))
  end)

  it("prints json.null as null", function()
    assert.equal("null", inspect(json.null))
  end)

  it("prints functions by their address", function()
    assert.truthy(inspect(print):find("^function: "))
  end)
end)

describe("inspect() of a table", function()
  it("prints an empty table as {} and an empty json.array() as []", function()
    assert.equal("{}", inspect({}))
    assert.equal("{}", inspect(json.object()))
    assert.equal("[]", inspect(json.array()))
  end)

  it("prints the array part in order, one element per line", function()
    assert.equal("{\n  1,\n  \"two\",\n  true,\n}", inspect({ 1, "two", true }))
  end)

  it("prints keys sorted, identifiers bare and others in brackets", function()
    assert.equal('{\n  a = 1,\n  b = 2,\n  ["with space"] = 3,\n}', inspect({ b = 2, ["with space"] = 3, a = 1 }))
  end)

  it("prints the array part before the other keys, numbers before strings", function()
    assert.equal('{\n  "x",\n  [5] = "y",\n  k = "z",\n}', inspect({ "x", [5] = "y", k = "z" }))
  end)

  it("prints non-string keys in brackets", function()
    assert.equal("{\n  [2.5] = 1,\n}", inspect({ [2.5] = 1 }))
    assert.equal("{\n  [true] = 1,\n}", inspect({ [true] = 1 }))
  end)

  it("indents nested tables by two spaces per level", function()
    assert.equal("{\n  a = {\n    b = {\n      1,\n    },\n  },\n}", inspect({ a = { b = { 1 } } }))
  end)

  it("prints json.null inside a table as null", function()
    assert.equal("{\n  x = null,\n}", inspect({ x = json.null }))
  end)

  it("prints a decoded document readably", function()
    assert.equal('{\n  items = {\n    1,\n    null,\n  },\n  none = [],\n}',
                 inspect(json.decode('{"items":[1,null],"none":[]}')))
  end)
end)

describe("inspect() of tables that repeat", function()
  it("prints a table met again on the same path as <cycle>", function()
    local t = {}
    t.self = t
    assert.equal("{\n  self = <cycle>,\n}", inspect(t))
  end)

  it("prints a cycle through several tables", function()
    local a, b = {}, {}
    a.b, b.a = b, a
    assert.equal("{\n  b = {\n    a = <cycle>,\n  },\n}", inspect(a))
  end)

  it("prints a table shared by two keys in full both times", function()
    local shared = { 1 }
    assert.equal("{\n  a = {\n    1,\n  },\n  b = {\n    1,\n  },\n}", inspect({ a = shared, b = shared }))
  end)
end)

describe("inspect() depth", function()
  local deep = { a = { b = { c = { d = { e = { f = { g = {} } } } } } } }

  it("stops at 6 levels by default with {...}", function()
    local text = inspect(deep)
    assert.truthy(text:find("f = {...}", 1, true))
    assert.falsy(text:find("g =", 1, true))
  end)

  it("takes the depth as an option", function()
    assert.equal("{\n  a = {\n    b = {...},\n  },\n}", inspect({ a = { b = { c = 1 } } }, { depth = 2 }))
    assert.equal("{...}", inspect({ 1 }, { depth = 0 }))
  end)
end)

describe("the module", function()
  it("is callable and the same as inspect.inspect", function()
    local v = { z = 1, a = { 2 } }
    assert.equal(inspect.inspect(v), inspect(v))
    assert.equal(inspect.inspect(v, { depth = 1 }), inspect(v, { depth = 1 }))
  end)
end)
