-- tests/lua/schema_spec.lua — moonreel.schema: declaring schemas, validating
-- values (issues, paths, defaults, null), partial updates and query coercion.
local json = require("moonreel.json")
local errors = require("moonreel.errors")
local schema = require("moonreel.schema")

local function issues(s, value)
  local clean, errs = schema.validate(s, value)
  assert.is_nil(clean, "expected the value to be rejected")
  return errs
end

local function issue_of(s, value)
  local errs = issues(s, value)
  assert.equal(1, #errs, "expected exactly one issue")
  return errs[1].issue, errs[1].field
end

describe("schema constructors", function()
  it("return plain tables holding the type and the options", function()
    assert.same({ type = "string", max_length = 3, required = true }, schema.string({ max_length = 3, required = true }))
    assert.same({ type = "boolean" }, schema.boolean())
    assert.equal(nil, getmetatable(schema.integer()))
  end)

  it("turn Kong's between = {a, b} into min and max", function()
    assert.same({ type = "integer", min = 1, max = 5 }, schema.integer({ between = { 1, 5 } }))
  end)

  it("copy their options, so editing the options table later changes nothing", function()
    local opts = { one_of = { "a", "b" } }
    local s = schema.string(opts)
    opts.one_of[1] = "z"
    assert.equal("a", s.one_of[1])
  end)

  it("refuse an unknown option, naming the constructor and the option", function()
    assert.error(function() schema.string({ max_lenght = 3 }) end, "schema.string: unknown option 'max_lenght'")
    assert.error(function() schema.boolean({ min = 1 }) end, "schema.boolean: unknown option 'min'")
    assert.error(function() schema.integer({ pattern = "x" }) end, "unknown option 'pattern'")
  end)

  it("raise at the declaring line", function()
    assert.error(function() schema.string({ nope = true }) end, "schema_spec.lua:")
  end)

  it("refuse malformed option values", function()
    assert.error(function() schema.string({ max_length = -1 }) end, "option 'max_length' must be a non-negative integer")
    assert.error(function() schema.string({ min_length = 1.5 }) end, "option 'min_length' must be a non-negative integer")
    assert.error(function() schema.string({ pattern = "[a" }) end, "option 'pattern' is not a valid Lua pattern")
    assert.error(function() schema.string({ one_of = {} }) end, "option 'one_of' must be a non-empty list")
    assert.error(function() schema.string({ required = "yes" }) end, "option 'required' must be true or false")
    assert.error(function() schema.string({ description = 1 }) end, "option 'description' must be a string")
    assert.error(function() schema.number({ min = 0 / 0 }) end, "option 'min' must be a finite number")
    assert.error(function() schema.integer({ between = { 5, 1 } }) end, "must be {min, max} with min <= max")
    assert.error(function() schema.object({}, { additional = "yes" }) end, "must be true, false or a schema")
    assert.error(function() schema.string(5) end, "options must be a table")
  end)

  it("refuse contradictory bounds", function()
    assert.error(function() schema.integer({ min = 5, max = 1 }) end, "min is greater than max")
    assert.error(function() schema.integer({ between = { 1, 2 }, min = 0 }) end, "use between or min / max, not both")
    assert.error(function() schema.string({ min_length = 5, max_length = 1 }) end, "min_length is greater than max_length")
    assert.error(function() schema.array(schema.any(), { min_items = 3, max_items = 1 }) end,
      "min_items is greater than max_items")
  end)

  it("refuse a default that does not pass the schema", function()
    assert.error(function() schema.integer({ default = "24" }) end,
      "schema.integer: default is invalid: $: expected integer, got string")
    assert.error(function() schema.string({ max_length = 2, default = "long" }) end, "default is invalid")
    assert.error(function() schema.string({ default = json.null }) end, "default is invalid: $: must not be null")
    schema.string({ nullable = true, default = json.null })
  end)

  it("refuse an array without an item schema", function()
    assert.error(function() schema.array() end, "schema.array: the item schema is missing or not a schema")
    assert.error(function() schema.array({ max_items = 3 }) end, "not a schema")
  end)

  it("refuse object fields that are not schemas, and names declared twice", function()
    assert.error(function() schema.object({ name = { required = true } }) end, "field 'name' is not a schema")
    assert.error(function() schema.object({ { a = schema.string() }, { a = schema.integer() } }) end,
      "field 'a' is declared twice")
    assert.error(function() schema.object({ { a = schema.string(), b = schema.string() } }) end,
      "fields[1] must hold exactly one {name = schema}")
    assert.error(function() schema.object({ { a = schema.string() }, b = schema.string() }) end,
      "fields must be a map or a list, not both")
  end)

  it("order map fields by name and Kong-style list fields as declared", function()
    local map = schema.object({ b = schema.string(), a = schema.string(), c = schema.string() })
    assert.same({ "a", "b", "c" }, schema.field_order(map))
    local list = schema.object({ { b = schema.string() }, { a = schema.string() }, { c = schema.string() } })
    assert.same({ "b", "a", "c" }, schema.field_order(list))
  end)

  it("make objects reject unknown fields unless told otherwise", function()
    assert.equal(false, schema.object({}).additional)
    assert.equal(true, schema.object({}, { additional = true }).additional)
  end)

  it("build maps as objects whose additional fields follow one schema", function()
    local m = schema.map(schema.integer(), { description = "counts" })
    assert.equal("object", m.type)
    assert.equal("integer", m.additional.type)
    assert.same({}, m.fields)
    assert.error(function() schema.map(schema.integer(), { additional = true }) end, "unknown option 'additional'")
  end)

  it("infer the type of an enum from its values", function()
    assert.same({ type = "string", one_of = { "a", "b" } }, schema.enum({ "a", "b" }))
    assert.same({ type = "integer", one_of = { 24, 30 } }, schema.enum({ 24, 30 }))
    assert.same({ type = "number", one_of = { 1, 2.5 } }, schema.enum({ 1, 2.5 }))
    assert.equal("any", schema.enum({ 1, "a" }).type)
    assert.equal("draft", schema.enum({ "draft", "live" }, { default = "draft" }).default)
    assert.error(function() schema.enum({}) end, "schema.enum: values must be a non-empty list")
    assert.error(function() schema.enum({ "a" }, { one_of = { "b" } }) end, "unknown option 'one_of'")
    assert.error(function() schema.enum({ "a" }, { default = "b" }) end, "default is invalid: $: must be one of: a")
  end)

  it("recognise hand-written tables as schemas", function()
    assert.truthy(schema.is_schema({ type = "string" }))
    assert.truthy(schema.is_schema(schema.object({})))
    assert.falsy(schema.is_schema({ type = "record" }))
    assert.falsy(schema.is_schema({ required = true }))
    assert.falsy(schema.is_schema("string"))
  end)
end)

describe("schema.validate() on strings", function()
  it("accepts a string and returns it", function()
    assert.equal("hi", schema.validate(schema.string(), "hi"))
  end)

  it("names the expected and the given type", function()
    assert.equal("expected string, got number", issue_of(schema.string(), 5))
    assert.equal("expected string, got boolean", issue_of(schema.string(), true))
    assert.equal("expected string, got object", issue_of(schema.string(), {}))
    assert.equal("expected string, got array", issue_of(schema.string(), { "a" }))
    assert.equal("expected string, got array", issue_of(schema.string(), json.array()))
  end)

  it("counts length in UTF-8 characters, bounds inclusive", function()
    local s = schema.string({ min_length = 2, max_length = 3 })
    assert.equal("ab", schema.validate(s, "ab"))
    assert.equal("abc", schema.validate(s, "abc"))
    assert.equal("日本語", schema.validate(s, "日本語"))
    assert.equal("length must be >= 2", issue_of(s, "a"))
    assert.equal("length must be <= 3", issue_of(s, "abcd"))
    assert.equal("length must be <= 3", issue_of(s, "日本語で"))
  end)

  it("matches a Lua pattern anywhere unless anchored", function()
    assert.equal("xx42", schema.validate(schema.string({ pattern = "%d" }), "xx42"))
    local slug = schema.string({ pattern = "^[%w%-]+$" })
    assert.equal("my-film", schema.validate(slug, "my-film"))
    assert.equal("must match the Lua pattern ^[%w%-]+$", issue_of(slug, "my film"))
  end)

  it("checks one_of", function()
    local s = schema.string({ one_of = { "draft", "live" } })
    assert.equal("live", schema.validate(s, "live"))
    assert.equal("must be one of: draft, live", issue_of(s, "gone"))
  end)

  it("checks the date-time format (RFC 3339)", function()
    local s = schema.string({ format = "date-time" })
    for _, ok in ipairs({ "2024-05-01T12:00:00Z", "2024-05-01t23:59:60.123+02:00", "2024-02-29T00:00:00-11:30" }) do
      assert.equal(ok, schema.validate(s, ok))
    end
    for _, bad in ipairs({ "2024-05-01", "2024-05-01T12:00:00", "2024-13-01T12:00:00Z", "2024-05-01T24:00:00Z",
                           "2023-02-29T00:00:00Z", "2024-05-01T12:00:00.Z", "yesterday" }) do
      assert.equal("must be a date-time (RFC 3339, e.g. 2024-05-01T12:00:00Z)", issue_of(s, bad), bad)
    end
  end)

  it("checks the date, uuid, uri and email formats", function()
    local date = schema.string({ format = "date" })
    assert.equal("2024-02-29", schema.validate(date, "2024-02-29"))
    assert.equal("must be a date (YYYY-MM-DD)", issue_of(date, "2023-02-29"))
    assert.equal("must be a date (YYYY-MM-DD)", issue_of(date, "2024-04-31"))
    local uuid = schema.string({ format = "uuid" })
    assert.truthy(schema.validate(uuid, "123e4567-e89b-12d3-a456-426614174000"))
    assert.equal("must be a UUID", issue_of(uuid, "123e4567e89b12d3a456426614174000"))
    local uri = schema.string({ format = "uri" })
    assert.truthy(schema.validate(uri, "https://example.com/a?b=1"))
    assert.truthy(schema.validate(uri, "urn:isbn:0451450523"))
    assert.equal("must be an absolute URI", issue_of(uri, "/relative/path"))
    assert.equal("must be an absolute URI", issue_of(uri, "http://a b"))
    local email = schema.string({ format = "email" })
    assert.truthy(schema.validate(email, "ada@example.com"))
    assert.equal("must be an email address", issue_of(email, "ada@localhost"))
  end)

  it("treats an unknown format as documentation only", function()
    assert.equal("anything", schema.validate(schema.string({ format = "color" }), "anything"))
  end)

  it("reports the first failing rule only", function()
    local s = schema.string({ max_length = 2, pattern = "^%d+$" })
    assert.equal("length must be <= 2", issue_of(s, "abcd"))
  end)
end)

describe("schema.validate() on numbers", function()
  it("accepts integral numbers as integers", function()
    assert.equal(3, schema.validate(schema.integer(), 3))
    assert.equal(-7, schema.validate(schema.integer(), -7))
    assert.equal(2, schema.validate(schema.integer(), 2.0))
  end)

  it("refuses fractions, non-numbers and non-finite numbers for integers", function()
    assert.equal("must be an integer", issue_of(schema.integer(), 1.5))
    assert.equal("expected integer, got string", issue_of(schema.integer(), "3"))
    assert.equal("must be a finite number", issue_of(schema.integer(), math.huge))
    assert.equal("must be a finite number", issue_of(schema.number(), 0 / 0))
    assert.equal("must be a finite number", issue_of(schema.number(), -math.huge))
    assert.equal("expected number, got boolean", issue_of(schema.number(), false))
  end)

  it("applies min and max inclusively", function()
    local s = schema.number({ min = 0, max = 1.5 })
    assert.equal(0, schema.validate(s, 0))
    assert.equal(1.5, schema.validate(s, 1.5))
    assert.equal("must be >= 0", issue_of(s, -0.1))
    assert.equal("must be <= 1.5", issue_of(s, 2))
  end)

  it("applies between like min and max", function()
    local s = schema.integer({ between = { 1, 120 } })
    assert.equal(1, schema.validate(s, 1))
    assert.equal(120, schema.validate(s, 120))
    assert.equal("must be >= 1", issue_of(s, 0))
    assert.equal("must be <= 120", issue_of(s, 121))
  end)

  it("also honours between in a hand-written schema", function()
    assert.equal("must be <= 10", issue_of({ type = "integer", between = { 1, 10 } }, 11))
  end)

  it("checks one_of", function()
    local s = schema.integer({ one_of = { 24, 25, 30 } })
    assert.equal(25, schema.validate(s, 25))
    assert.equal("must be one of: 24, 25, 30", issue_of(s, 60))
    assert.equal("must be one of: 0.5, 1", issue_of(schema.enum({ 0.5, 1 }), 2))
  end)
end)

describe("schema.validate() on booleans and any", function()
  it("accepts only true and false as booleans", function()
    assert.equal(false, schema.validate(schema.boolean(), false))
    assert.equal(true, schema.validate(schema.boolean(), true))
    assert.equal("expected boolean, got string", issue_of(schema.boolean(), "true"))
    assert.equal("expected boolean, got number", issue_of(schema.boolean(), 1))
  end)

  it("lets any accept every value but null, and returns a copy", function()
    local s = schema.any()
    assert.equal("x", schema.validate(s, "x"))
    local input = json.decode('{"a":[1,{"b":true}]}')
    local clean = schema.validate(s, input)
    assert.same(input, clean)
    assert.truthy(clean ~= input and clean.a ~= input.a)
    assert.equal('{"a":[1,{"b":true}]}', json.encode(clean))
    assert.equal("must not be null", issue_of(s, json.null))
  end)

  it("keeps the json tags of empty tables inside any", function()
    local clean = schema.validate(schema.any(), json.decode('{"a":[],"b":{}}'))
    assert.equal('{"a":[],"b":{}}', json.encode(clean))
  end)

  it("checks a mixed enum by value", function()
    local s = schema.enum({ 1, "x", true })
    assert.equal(true, schema.validate(s, true))
    assert.equal("must be one of: 1, x, true", issue_of(s, false))
  end)
end)

describe("schema.validate() on arrays", function()
  local ints = schema.array(schema.integer({ min = 0 }), { min_items = 1, max_items = 3 })

  it("returns a new array-tagged table of cleaned items", function()
    local input = { 1, 2 }
    local clean = schema.validate(ints, input)
    assert.same({ 1, 2 }, clean)
    assert.truthy(clean ~= input)
    assert.truthy(json.is_array(clean))
  end)

  it("reports item issues with 1-based indexes", function()
    assert.same({ { field = "$[2]", issue = "must be >= 0" }, { field = "$[3]", issue = "expected integer, got string" } },
      issues(ints, { 1, -1, "x" }))
  end)

  it("checks min_items and max_items", function()
    assert.same({ { field = "$", issue = "must have at least 1 item" } }, issues(ints, json.array()))
    assert.same({ { field = "$", issue = "must have at most 3 items" } }, issues(ints, { 1, 2, 3, 4 }))
    assert.equal("must have at least 2 items", issue_of(schema.array(schema.any(), { min_items = 2 }), { 1 }))
  end)

  it("takes an untagged {} as an empty array and returns it tagged", function()
    local clean = schema.validate(schema.array(schema.string()), {})
    assert.equal("[]", json.encode(clean))
  end)

  it("refuses an object-tagged {}, objects and sparse tables", function()
    local s = schema.array(schema.string())
    assert.equal("expected array, got object", issue_of(s, json.object()))
    assert.equal("expected array, got object", issue_of(s, { a = 1 }))
    assert.equal("expected array, got object", issue_of(s, { [1] = "a", [3] = "c" }))
    assert.equal("expected array, got string", issue_of(s, "a,b"))
  end)

  it("reports nested paths through arrays of objects", function()
    local s = schema.object({
      scenes = schema.array(schema.object({ order = schema.integer({ min = 0 }), shots = schema.array(schema.string()) })),
    })
    local body = json.decode('{"scenes":[{"order":1},{"order":-2,"shots":["a",3]}]}')
    assert.same({
      { field = "scenes[2].order", issue = "must be >= 0" },
      { field = "scenes[2].shots[2]", issue = "expected string, got number" },
    }, issues(s, body))
  end)

  it("validates arrays of arrays", function()
    local grid = schema.array(schema.array(schema.number()))
    assert.same({ { 1, 2 }, { 3 } }, schema.validate(grid, { { 1, 2 }, { 3 } }))
    assert.same({ { field = "$[2][1]", issue = "expected number, got string" } }, issues(grid, { { 1 }, { "x" } }))
  end)
end)

describe("schema.validate() on objects", function()
  local project = schema.object({
    name = schema.string({ required = true, max_length = 200 }),
    fps = schema.integer({ default = 24, between = { 1, 120 } }),
    note = schema.string(),
  })

  it("returns a new object-tagged table with the declared fields", function()
    local input = { name = "Trailer", note = "n" }
    local clean = schema.validate(project, input)
    assert.same({ name = "Trailer", note = "n", fps = 24 }, clean)
    assert.truthy(getmetatable(clean) == json.object_mt)
    assert.same({ name = "Trailer", note = "n" }, input, "the input is not modified")
  end)

  it("reports a missing required field", function()
    assert.same({ { field = "name", issue = "required" } }, issues(project, {}))
  end)

  it("leaves an absent optional field absent", function()
    local clean = schema.validate(project, { name = "x" })
    assert.is_nil(clean.note)
  end)

  it("rejects unknown fields, in name order, instead of dropping them", function()
    assert.same({
      { field = "colour", issue = "unknown field" },
      { field = "zoom", issue = "unknown field" },
    }, issues(project, { name = "x", zoom = 1, colour = "red" }))
  end)

  it("reports every field's issue at once, in declared order", function()
    local s = schema.object({ { title = schema.string({ required = true }) }, { order = schema.integer({ min = 0 }) } })
    assert.same({
      { field = "title", issue = "required" },
      { field = "order", issue = "must be >= 0" },
      { field = "extra", issue = "unknown field" },
    }, issues(s, { order = -1, extra = true }))
  end)

  it("keeps unknown fields, copied, when additional = true", function()
    local s = schema.object({ a = schema.string() }, { additional = true })
    local input = { a = "x", extra = { deep = { 1 } } }
    local clean = schema.validate(s, input)
    assert.same(input, clean)
    assert.truthy(clean.extra ~= input.extra)
  end)

  it("validates unknown fields against the additional schema", function()
    local labels = schema.map(schema.string({ max_length = 3 }))
    assert.same({ fg = "red", bg = "tan" }, schema.validate(labels, { fg = "red", bg = "tan" }))
    assert.same({ { field = "fg", issue = "length must be <= 3" } }, issues(labels, { fg = "crimson" }))
  end)

  it("quotes keys that are not identifiers in paths", function()
    local s = schema.object({ meta = schema.map(schema.integer()) })
    assert.same({ { field = 'meta["a b"]', issue = "expected integer, got string" } }, issues(s, { meta = { ["a b"] = "1" } }))
    assert.same({ { field = '$["x.y"]', issue = "unknown field" } }, issues(schema.object({}), { ["x.y"] = 1 }))
  end)

  it("reports nested object paths with dots", function()
    local s = schema.object({ output = schema.object({ size = schema.object({ width = schema.integer({ required = true }) }) }) })
    assert.same({ { field = "output.size.width", issue = "required" } }, issues(s, { output = { size = {} } }))
  end)

  it("takes object-tagged and untagged {} as empty objects", function()
    local s = schema.object({ a = schema.string() })
    assert.equal("{}", json.encode(schema.validate(s, {})))
    assert.equal("{}", json.encode(schema.validate(s, json.object())))
  end)

  it("refuses arrays, including an array-tagged []", function()
    local s = schema.object({})
    assert.equal("expected object, got array", issue_of(s, json.array()))
    assert.equal("expected object, got array", issue_of(s, { 1, 2 }))
    assert.equal("expected object, got string", issue_of(s, "{}"))
  end)

  it("accepts decoded JSON", function()
    local clean = schema.validate(project, json.decode('{"name":"Trailer","fps":30}'))
    assert.same({ name = "Trailer", fps = 30 }, clean)
  end)

  it("validates a hand-written object schema without an order", function()
    local s = { type = "object", fields = { b = { type = "string", required = true }, a = { type = "integer", required = true } } }
    assert.same({ { field = "a", issue = "required" }, { field = "b", issue = "required" } }, issues(s, {}))
  end)

  it("returns the issues as a json array", function()
    local _, errs = schema.validate(project, {})
    assert.truthy(json.is_array(errs))
    assert.equal('[{"field":"name","issue":"required"}]', json.encode(errs))
  end)
end)

describe("schema.validate() defaults", function()
  it("fill an absent field", function()
    local s = schema.object({ fps = schema.integer({ default = 24 }), title = schema.string({ default = "Untitled" }) })
    assert.same({ fps = 24, title = "Untitled" }, schema.validate(s, {}))
  end)

  it("do not replace a given value", function()
    local s = schema.object({ fps = schema.integer({ default = 24 }) })
    assert.same({ fps = 30 }, schema.validate(s, { fps = 30 }))
  end)

  it("satisfy required", function()
    local s = schema.object({ fps = schema.integer({ required = true, default = 24 }) })
    assert.same({ fps = 24 }, schema.validate(s, {}))
  end)

  it("are copies, so changing a result never changes the schema", function()
    local s = schema.object({ tags = schema.array(schema.string(), { default = { "a" } }) })
    local first = schema.validate(s, {})
    first.tags[1] = "changed"
    assert.same({ tags = { "a" } }, schema.validate(s, {}))
  end)

  it("are cleaned like values: nested defaults apply and tables are tagged", function()
    local s = schema.object({
      output = schema.object({ fps = schema.integer({ default = 24 }) }, { default = {} }),
      tags = schema.array(schema.string(), { default = {} }),
    })
    local clean = schema.validate(s, {})
    assert.same({ output = { fps = 24 }, tags = {} }, clean)
    assert.equal('{"output":{"fps":24},"tags":[]}', json.encode(clean))
  end)

  it("do not apply to an explicit null", function()
    local s = schema.object({ fps = schema.integer({ default = 24 }) })
    assert.same({ { field = "fps", issue = "must not be null" } }, issues(s, { fps = json.null }))
  end)

  it("may be null on a nullable field", function()
    local s = schema.object({ ends = schema.string({ nullable = true, default = json.null }) })
    assert.equal(json.null, schema.validate(s, {}).ends)
  end)

  it("stand in for a missing root value", function()
    assert.same({ page = 1 }, schema.validate(schema.object({ page = schema.integer({ default = 1 }) }, { default = {} }), nil))
    assert.equal(5, schema.validate(schema.integer({ default = 5 }), nil))
  end)
end)

describe("schema.validate() and null", function()
  it("refuses json.null unless the schema is nullable", function()
    assert.same({ { field = "$", issue = "must not be null" } }, issues(schema.string(), json.null))
    local s = schema.object({ note = schema.string() })
    assert.same({ { field = "note", issue = "must not be null" } }, issues(s, { note = json.null }))
  end)

  it("keeps json.null in the result when nullable, so updates can clear a field", function()
    local s = schema.object({ note = schema.string({ nullable = true }) })
    local clean = schema.validate(s, json.decode('{"note":null}'))
    assert.equal(json.null, clean.note)
    assert.equal('{"note":null}', json.encode(clean))
  end)

  it("counts null as present for a required nullable field", function()
    local s = schema.object({ note = schema.string({ required = true, nullable = true }) })
    assert.equal(json.null, schema.validate(s, { note = json.null }).note)
    assert.same({ { field = "note", issue = "required" } }, issues(s, {}))
  end)

  it("accepts a null root, item or additional value only when nullable", function()
    assert.equal(json.null, schema.validate(schema.object({}, { nullable = true }), json.null))
    assert.same({ 1, json.null }, schema.validate(schema.array(schema.integer({ nullable = true })), { 1, json.null }))
    assert.same({ { field = "$[1]", issue = "must not be null" } }, issues(schema.array(schema.integer()), { json.null }))
    assert.equal(json.null, schema.validate(schema.map(schema.any({ nullable = true })), { a = json.null }).a)
  end)

  it("calls a missing root value required", function()
    assert.same({ { field = "$", issue = "required" } }, issues(schema.object({}), nil))
  end)
end)

describe("schema.validate() arguments", function()
  it("refuses a first argument that is not a schema", function()
    assert.error(function() schema.validate({ name = schema.string() }, {}) end, "schema.validate: the first argument is not a schema")
  end)

  it("refuses a nested schema of unknown type", function()
    assert.error(function() schema.validate({ type = "array", items = { type = "tuple" } }, { 1 }) end,
      "schema: unknown type 'tuple' at $[1]")
    assert.error(function() schema.validate({ type = "array" }, { 1 }) end, "schema: no schema at $[1]")
  end)
end)

describe("schema.check()", function()
  local s = schema.object({ name = schema.string({ required = true }), fps = schema.integer({ default = 24 }) })

  it("returns the cleaned value when it is valid", function()
    assert.same({ name = "x", fps = 24 }, schema.check(s, { name = "x" }))
  end)

  it("raises a 400 VALIDATION_ERROR whose details list the fields", function()
    local ok, err = pcall(schema.check, s, { fps = "x" })
    assert.falsy(ok)
    assert.truthy(errors.is(err))
    assert.equal(400, err.status)
    assert.equal("VALIDATION_ERROR", err.code)
    assert.equal("request body is invalid", err.message)
    assert.same({ fields = { { field = "fps", issue = "expected integer, got string" }, { field = "name", issue = "required" } } },
      err.details)
  end)

  it("encodes details.fields as a JSON array", function()
    local _, err = pcall(schema.check, s, {})
    assert.equal('{"fields":[{"field":"name","issue":"required"}]}', json.encode(err.details))
  end)

  it("names the value in the message when asked", function()
    local _, err = pcall(schema.check, s, {}, "workflow input")
    assert.equal("workflow input is invalid", err.message)
  end)

  it("refuses a first argument that is not a schema", function()
    assert.error(function() schema.check(nil, {}) end, "schema.check: the first argument is not a schema")
  end)
end)

describe("schema.partial()", function()
  local project = schema.object({
    { name = schema.string({ required = true, max_length = 5 }) },
    { fps = schema.integer({ default = 24 }) },
    { size = schema.object({ width = schema.integer({ required = true }) }) },
  }, { name = "Project" })

  it("makes every field optional and drops defaults, so absent stays absent", function()
    local patch = schema.partial(project)
    assert.same({}, schema.validate(patch, {}))
    assert.same({ fps = 30 }, schema.validate(patch, { fps = 30 }))
  end)

  it("keeps every other rule, unknown fields included", function()
    local patch = schema.partial(project)
    assert.same({ { field = "name", issue = "length must be <= 5" }, { field = "bogus", issue = "unknown field" } },
      issues(patch, { name = "too long", bogus = 1 }))
  end)

  it("keeps the declared order", function()
    assert.same({ "name", "fps", "size" }, schema.field_order(schema.partial(project)))
  end)

  it("leaves nested objects whole: a given nested object is checked in full", function()
    assert.same({ { field = "size.width", issue = "required" } }, issues(schema.partial(project), { size = {} }))
  end)

  it("does not change the original schema and drops its component name", function()
    local patch = schema.partial(project)
    assert.equal(true, project.fields.name.required)
    assert.equal(24, project.fields.fps.default)
    assert.equal("Project", project.name)
    assert.is_nil(patch.name)
  end)

  it("refuses a schema that is not an object", function()
    assert.error(function() schema.partial(schema.string()) end, "schema.partial: not an object schema")
  end)
end)

describe("schema.coerce_query()", function()
  local q = schema.object({
    limit = schema.integer({ between = { 1, 100 }, default = 20 }),
    ratio = schema.number(),
    archived = schema.boolean(),
    ids = schema.array(schema.integer()),
    tags = schema.array(schema.string()),
    search = schema.string(),
  })

  it("converts integer, number and boolean strings", function()
    assert.same({ limit = 5, ratio = 0.25, archived = true }, schema.coerce_query(q, { limit = "5", ratio = "0.25", archived = "true" }))
    assert.same({ limit = -3, ratio = 1000, archived = false }, schema.coerce_query(q, { limit = "-3", ratio = "1e3", archived = "0" }))
    assert.same({ ratio = 5, archived = true }, schema.coerce_query(q, { ratio = "+5", archived = "1" }))
  end)

  it("leaves strings that do not convert, so validation reports them", function()
    local coerced = schema.coerce_query(q, { limit = "5.5", ratio = "0x10", archived = "yes", search = "42" })
    assert.same({ limit = "5.5", ratio = "0x10", archived = "yes", search = "42" }, coerced)
    assert.same({
      { field = "archived", issue = "expected boolean, got string" },
      { field = "limit", issue = "expected integer, got string" },
      { field = "ratio", issue = "expected number, got string" },
    }, issues(q, schema.coerce_query(q, { limit = "5.5", ratio = "inf", archived = "yes" })))
    assert.equal("", schema.coerce_query(q, { limit = "" }).limit)
  end)

  it("splits comma-separated arrays and converts their items", function()
    local coerced = schema.coerce_query(q, { ids = "1,2,3", tags = "a,,b" })
    assert.same({ ids = { 1, 2, 3 }, tags = { "a", "", "b" } }, coerced)
    assert.truthy(json.is_array(coerced.ids))
    assert.same({ tags = {} }, schema.coerce_query(q, { tags = "" }))
  end)

  it("takes a list of values for an array", function()
    assert.same({ ids = { 4, 5 } }, schema.coerce_query(q, { ids = { "4", "5" } }))
  end)

  it("takes repeated keys from query_all for arrays, and the first value for the rest", function()
    local query = { ids = "4", limit = "1" }
    local query_all = { ids = { "4", "5" }, limit = { "1", "2" } }
    assert.same({ ids = { 4, 5 }, limit = 1 }, schema.coerce_query(q, query, query_all))
    assert.same({ ids = { 4, 6 } }, schema.coerce_query(q, { ids = "4,6" }, { ids = { "4,6" } }))
    assert.same({ "4", "5" }, query_all.ids, "query_all is not modified")
  end)

  it("keeps unknown keys, so validation rejects them", function()
    assert.same({ page = "2" }, schema.coerce_query(q, { page = "2" }))
    assert.same({ { field = "page", issue = "unknown field" } }, issues(q, schema.coerce_query(q, { page = "2" })))
  end)

  it("converts values of an additional schema", function()
    local m = schema.map(schema.integer())
    assert.same({ a = 1, b = "x" }, schema.coerce_query(m, { a = "1", b = "x" }))
  end)

  it("returns a new table and accepts nil", function()
    local input = { limit = "5" }
    local out = schema.coerce_query(q, input)
    assert.truthy(out ~= input)
    assert.equal("5", input.limit)
    assert.same({}, schema.coerce_query(q, nil))
  end)

  it("refuses a schema that is not an object", function()
    assert.error(function() schema.coerce_query(schema.string(), {}) end, "schema.coerce_query: not an object schema")
  end)
end)

describe("schema.check_query()", function()
  local q = schema.object({ limit = schema.integer({ between = { 1, 100 }, default = 20 }), archived = schema.boolean() })

  it("coerces, fills defaults and returns the cleaned query", function()
    assert.same({ limit = 20, archived = false }, schema.check_query(q, { archived = "false" }))
    assert.same({ limit = 100 }, schema.check_query(q, { limit = "100" }))
  end)

  it("passes query_all on for repeated array keys", function()
    local s = schema.object({ id = schema.array(schema.integer(), { max_items = 3 }) })
    assert.same({ id = { 1, 2 } }, schema.check_query(s, { id = "1" }, { id = { "1", "2" } }))
  end)

  it("raises a 400 that names the query string", function()
    local ok, err = pcall(schema.check_query, q, { limit = "500" })
    assert.falsy(ok)
    assert.equal(400, err.status)
    assert.equal("query string is invalid", err.message)
    assert.same({ { field = "limit", issue = "must be <= 100" } }, err.details.fields)
  end)
end)
