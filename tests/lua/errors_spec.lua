-- tests/lua/errors_spec.lua — moonreel.errors: the HTTP errors handlers raise, and
-- the shape they give the {"error":{code,message,details}} envelope.
local errors = require("moonreel.errors")
local json = require("moonreel.json")

-- The error object a function raises (it must raise).
local function raised(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.falsy(ok, "expected an error")
  return err
end

describe("errors.new()", function()
  it("holds the status, code, message and details", function()
    local e = errors.new(409, "CONFLICT", "Scene order already taken", { order = 3 })
    assert.equal(409, e.status)
    assert.equal("CONFLICT", e.code)
    assert.equal("Scene order already taken", e.message)
    assert.same({ order = 3 }, e.details)
  end)

  it("uses the code as the message when none is given", function()
    assert.equal("TEAPOT", errors.new(418, "TEAPOT").message)
  end)

  it("gives empty details that encode as an object, not an array", function()
    local e = errors.new(400, "BAD_REQUEST", "no")
    assert.equal("{}", json.encode(e.details))
    assert.falsy(json.is_array(e.details))
  end)

  it("accepts every 4xx and 5xx status and nothing else", function()
    assert.equal(400, errors.new(400, "X").status)
    assert.equal(599, errors.new(599, "X").status)
    assert.error(function() errors.new(200, "OK") end, "status must be 4xx or 5xx")
    assert.error(function() errors.new(399, "X") end, "status must be 4xx or 5xx")
    assert.error(function() errors.new(600, "X") end, "status must be 4xx or 5xx")
    assert.error(function() errors.new("404", "X") end, "status must be 4xx or 5xx")
  end)

  it("requires a string code", function()
    assert.error(function() errors.new(404) end, "code must be a string")
    assert.error(function() errors.new(404, 17) end, "code must be a string")
  end)

  it("prints as 'status CODE: message'", function()
    assert.equal("404 RESOURCE_NOT_FOUND: Project with id 'x' not found",
                 tostring(errors.new(404, "RESOURCE_NOT_FOUND", "Project with id 'x' not found")))
  end)

  it("fills the error envelope as JSON", function()
    local e = errors.new(422, "UNPROCESSABLE", "bad frame", { frame = 12 })
    local envelope = { error = { code = e.code, message = e.message, details = e.details } }
    assert.equal('{"error":{"code":"UNPROCESSABLE","details":{"frame":12},"message":"bad frame"}}',
                 json.encode(envelope))
  end)
end)

describe("errors.is()", function()
  it("recognises errors made by errors.new and nothing else", function()
    assert.truthy(errors.is(errors.new(404, "X")))
    assert.falsy(errors.is({ status = 404, code = "X", message = "m" }))
    assert.falsy(errors.is("404 X: m"))
    assert.falsy(errors.is(nil))
  end)
end)

describe("errors.raise()", function()
  it("raises the error object itself, not a string", function()
    local e = raised(errors.raise, 409, "CONFLICT", "taken", { order = 3 })
    assert.truthy(errors.is(e))
    assert.equal(409, e.status)
    assert.equal("CONFLICT", e.code)
    assert.equal("taken", e.message)
    assert.same({ order = 3 }, e.details)
  end)

  it("adds no file:line position to the message", function()
    local e = raised(errors.raise, 400, "BAD_REQUEST", "plain message")
    assert.equal("plain message", e.message)
  end)

  it("passes through pcall and error() unchanged, so handlers may rethrow it", function()
    local first = raised(errors.raise, 404, "RESOURCE_NOT_FOUND", "gone")
    local again = raised(function() error(first) end)
    assert.equal(first, again)
  end)

  it("refuses a bad status before raising anything else", function()
    assert.error(function() errors.raise(302, "FOUND") end, "status must be 4xx or 5xx")
  end)
end)

describe("the shortcuts", function()
  local cases = {
    { "bad_request", 400, "BAD_REQUEST" },
    { "validation", 400, "VALIDATION_ERROR" },
    { "not_found", 404, "RESOURCE_NOT_FOUND" },
    { "conflict", 409, "CONFLICT" },
    { "too_large", 413, "PAYLOAD_TOO_LARGE" },
    { "unsupported_media", 415, "UNSUPPORTED_MEDIA_TYPE" },
  }
  for _, case in ipairs(cases) do
    local name, status, code = case[1], case[2], case[3]
    it(("raise %d %s from errors.%s(message, details)"):format(status, code, name), function()
      local e = raised(errors[name], "it went wrong", { field = "title" })
      assert.truthy(errors.is(e))
      assert.equal(status, e.status)
      assert.equal(code, e.code)
      assert.equal("it went wrong", e.message)
      assert.same({ field = "title" }, e.details)
    end)
  end

  it("default the message to the code and the details to an empty object", function()
    local e = raised(errors.not_found)
    assert.equal("RESOURCE_NOT_FOUND", e.message)
    assert.equal("{}", json.encode(e.details))
  end)

  it("work in the `value or errors.not_found(...)` idiom", function()
    local function find(id) return ({ a = { id = "a" } })[id] end
    assert.equal("a", (find("a") or errors.not_found("missing")).id)
    local e = raised(function() return find("b") or errors.not_found("Project with id 'b' not found") end)
    assert.equal("Project with id 'b' not found", e.message)
  end)
end)
