-- tests/lua/openapi_spec.lua — moonreel.openapi: schemas as JSON Schema 2020-12
-- and route records as an OpenAPI 3.1 document.
local json = require("moonreel.json")
local schema = require("moonreel.schema")
local openapi = require("moonreel.openapi")
local router = require("moonreel.router")

local function handler() end

-- Encode and decode: what a client of /openapi.json would read.
local function wire(v)
  return json.decode(json.encode(v))
end

local function doc_for(declare, info, opts)
  local r = router.new()
  declare(r)
  return openapi.document(r.routes, info, opts)
end

describe("openapi.json_schema()", function()
  it("converts a string with its length, format and enum", function()
    local s = schema.string({ min_length = 1, max_length = 200, format = "uri", one_of = { "a", "b" }, description = "d" })
    assert.same({ type = "string", minLength = 1, maxLength = 200, format = "uri", enum = { "a", "b" }, description = "d" },
      openapi.json_schema(s))
  end)

  it("carries a Lua pattern as x-lua-pattern and a description note, never as pattern", function()
    local out = openapi.json_schema(schema.string({ pattern = "^[%w%-]+$", description = "A slug." }))
    assert.is_nil(out.pattern)
    assert.equal("^[%w%-]+$", out["x-lua-pattern"])
    assert.equal("A slug.\n\nMust match the Lua pattern `^[%w%-]+$`.", out.description)
    assert.equal("Must match the Lua pattern `%d`.", openapi.json_schema(schema.string({ pattern = "%d" })).description)
  end)

  it("converts numbers with inclusive minimum and maximum", function()
    assert.same({ type = "integer", minimum = 1, maximum = 120 }, openapi.json_schema(schema.integer({ between = { 1, 120 } })))
    assert.same({ type = "number", minimum = 0.5 }, openapi.json_schema(schema.number({ min = 0.5 })))
    assert.same({ type = "integer", maximum = 9 }, openapi.json_schema({ type = "integer", between = { nil, 9 } }))
    assert.same({ type = "integer", enum = { 24, 30 } }, openapi.json_schema(schema.enum({ 24, 30 })))
  end)

  it("converts booleans", function()
    assert.same({ type = "boolean" }, openapi.json_schema(schema.boolean()))
  end)

  it("writes nullable as a type list, with null in an enum", function()
    assert.same({ type = { "string", "null" } }, openapi.json_schema(schema.string({ nullable = true })))
    local e = openapi.json_schema(schema.enum({ "a" }, { nullable = true }))
    assert.equal(json.null, e.enum[2])
    assert.equal('{"enum":["a",null],"type":["string","null"]}', json.encode(e))
  end)

  it("writes any as everything but null, or everything when nullable", function()
    assert.equal('{"not":{"type":"null"}}', json.encode(openapi.json_schema(schema.any())))
    assert.equal("{}", json.encode(openapi.json_schema(schema.any({ nullable = true }))))
    assert.equal('{"enum":[1,"x"],"not":{"type":"null"}}', json.encode(openapi.json_schema(schema.enum({ 1, "x" }))))
  end)

  it("converts arrays with items and counts", function()
    assert.same({ type = "array", items = { type = "string" }, minItems = 1, maxItems = 3 },
      openapi.json_schema(schema.array(schema.string(), { min_items = 1, max_items = 3 })))
  end)

  it("converts objects: properties, required (without defaulted fields), no additional properties", function()
    local s = schema.object({
      name = schema.string({ required = true }),
      fps = schema.integer({ required = true, default = 24 }),
      note = schema.string(),
    })
    assert.same({
      type = "object",
      properties = { name = { type = "string" }, fps = { type = "integer", default = 24 }, note = { type = "string" } },
      required = { "name" },
      additionalProperties = false,
    }, openapi.json_schema(s))
  end)

  it("lists required fields in declared order", function()
    local s = schema.object({ { b = schema.string({ required = true }) }, { a = schema.string({ required = true }) } })
    assert.equal('["b","a"]', json.encode(openapi.json_schema(s).required))
  end)

  it("writes additional = true and a map's value schema", function()
    assert.equal(true, openapi.json_schema(schema.object({}, { additional = true })).additionalProperties)
    assert.equal('{"additionalProperties":{"type":"integer"},"properties":{},"type":"object"}',
      json.encode(openapi.json_schema(schema.map(schema.integer()))))
  end)

  it("encodes an empty object schema with properties {}", function()
    assert.equal('{"additionalProperties":false,"properties":{},"type":"object"}', json.encode(openapi.json_schema(schema.object({}))))
  end)

  it("writes defaults and examples as JSON values of the right shape", function()
    local s = schema.object({
      tags = schema.array(schema.string(), { default = {}, example = { "intro" } }),
      meta = schema.object({}, { additional = true, default = {} }),
      on = schema.boolean({ default = false, example = true }),
      ends = schema.string({ nullable = true, default = json.null }),
    })
    local out = openapi.json_schema(s)
    assert.equal("[]", json.encode(out.properties.tags.default))
    assert.equal('[["intro"]]', json.encode(out.properties.tags.examples))
    assert.equal("{}", json.encode(out.properties.meta.default))
    assert.equal(false, out.properties.on.default)
    assert.same({ true }, out.properties.on.examples)
    assert.equal(json.null, out.properties.ends.default)
  end)

  it("marks deprecated fields and titles named objects", function()
    assert.equal(true, openapi.json_schema(schema.string({ deprecated = true })).deprecated)
    assert.equal("Scene", openapi.json_schema(schema.object({}, { name = "Scene" })).title)
  end)

  it("inlines nested schemas, named ones included", function()
    local scene = schema.object({ order = schema.integer() }, { name = "Scene" })
    local out = openapi.json_schema(schema.object({ scenes = schema.array(scene) }))
    assert.equal("Scene", out.properties.scenes.items.title)
    assert.is_nil(out.properties.scenes.items["$ref"])
  end)

  it("refuses something that is not a schema", function()
    assert.error(function() openapi.json_schema({ name = "x" }) end, "openapi.json_schema: not a schema")
  end)
end)

describe("openapi.document()", function()
  it("is an OpenAPI 3.1.0 document with a default title and version", function()
    local doc = openapi.document({})
    assert.equal("3.1.0", doc.openapi)
    assert.same({ title = "moonreel API", version = "0.0.0" }, doc.info)
    assert.equal("{}", json.encode(doc.paths))
    assert.truthy(doc.components.schemas.Error)
  end)

  it("copies the Info fields it knows and ignores others", function()
    local doc = openapi.document({}, { title = "T", version = "2", description = "D", license = { name = "MIT" }, bogus = 1 })
    assert.same({ title = "T", version = "2", description = "D", license = { name = "MIT" } }, doc.info)
  end)

  it("lists servers when given", function()
    local doc = openapi.document({}, nil, { servers = { { url = "https://api.example.com" } } })
    assert.equal('[{"url":"https://api.example.com"}]', json.encode(doc.servers))
    assert.is_nil(openapi.document({}).servers)
  end)

  it("declares the error envelope once, as components.schemas.Error", function()
    local e = wire(openapi.document({})).components.schemas.Error
    assert.same({ "error" }, e.required)
    assert.same({ "code", "message" }, e.properties.error.required)
    assert.equal("object", e.properties.error.properties.details.type)
  end)

  it("groups the methods of a path into one path item, lower-cased", function()
    local doc = doc_for(function(r)
      r:get("/projects", handler)
      r:post("/projects", handler)
      r:head("/projects", handler)
    end)
    assert.truthy(doc.paths["/projects"].get)
    assert.truthy(doc.paths["/projects"].post)
    assert.truthy(doc.paths["/projects"].head)
  end)

  it("declares each path parameter as a required string", function()
    local doc = doc_for(function(r) r:get("/projects/{id}/scenes/{n}", handler) end)
    assert.same({
      { name = "id", ["in"] = "path", required = true, schema = { type = "string" } },
      { name = "n", ["in"] = "path", required = true, schema = { type = "string" } },
    }, doc.paths["/projects/{id}/scenes/{n}"].get.parameters)
  end)

  it("writes a rest capture {path...} as {path}, noting that it may hold slashes", function()
    local doc = doc_for(function(r) r:get("/files/{path...}", handler) end)
    local op = doc.paths["/files/{path}"].get
    assert.equal("path", op.parameters[1].name)
    assert.equal("The rest of the path; it may contain '/'.", op.parameters[1].description)
  end)

  it("types path parameters from options.params", function()
    local doc = doc_for(function(r)
      r:get("/scenes/{n}", { params = schema.object({ n = schema.integer({ min = 1, description = "Scene number" }) }) }, handler)
    end)
    local p = doc.paths["/scenes/{n}"].get.parameters[1]
    assert.same({ type = "integer", minimum = 1, description = "Scene number" }, p.schema)
    assert.equal("Scene number", p.description)
    assert.equal(true, p.required)
  end)

  it("declares one query parameter per field of options.query", function()
    local doc = doc_for(function(r)
      r:get("/projects", { query = schema.object({
        { limit = schema.integer({ between = { 1, 100 }, default = 20, description = "Page size" }) },
        { q = schema.string({ required = true }) },
        { ids = schema.array(schema.string()) },
      }) }, handler)
    end)
    local params = doc.paths["/projects"].get.parameters
    assert.same({ name = "limit", ["in"] = "query", required = false, description = "Page size",
                  schema = { type = "integer", minimum = 1, maximum = 100, default = 20, description = "Page size" } }, params[1])
    assert.same({ name = "q", ["in"] = "query", required = true, schema = { type = "string" } }, params[2])
    assert.same({ name = "ids", ["in"] = "query", required = false, style = "form", explode = false,
                  schema = { type = "array", items = { type = "string" } } }, params[3])
  end)

  it("puts path parameters before query parameters", function()
    local doc = doc_for(function(r)
      r:get("/p/{id}", { query = schema.object({ full = schema.boolean() }) }, handler)
    end)
    local params = doc.paths["/p/{id}"].get.parameters
    assert.equal("path", params[1]["in"])
    assert.equal("query", params[2]["in"])
  end)

  it("omits parameters when there are none", function()
    local doc = doc_for(function(r) r:get("/hello", handler) end)
    assert.is_nil(doc.paths["/hello"].get.parameters)
  end)

  it("refuses options.query that is not an object schema", function()
    assert.error(function()
      doc_for(function(r) r:get("/x", { query = { limit = schema.integer() } }, handler) end)
    end, "openapi: GET /x: options.query must be an object schema")
  end)

  it("turns options.body into a required application/json request body", function()
    local body = schema.object({ name = schema.string({ required = true }) }, { description = "The new project" })
    local doc = doc_for(function(r) r:post("/projects", { body = body }, handler) end)
    local rb = doc.paths["/projects"].post.requestBody
    assert.equal(true, rb.required)
    assert.equal("The new project", rb.description)
    assert.same(openapi.json_schema(body), rb.content["application/json"].schema)
  end)

  it("makes the request body optional when the body schema has a default", function()
    local body = schema.object({ force = schema.boolean() }, { default = {} })
    local doc = doc_for(function(r) r:post("/render", { body = body }, handler) end)
    assert.equal(false, doc.paths["/render"].post.requestBody.required)
  end)

  it("omits the request body when the route declares none", function()
    local doc = doc_for(function(r) r:post("/ping", handler) end)
    assert.is_nil(doc.paths["/ping"].post.requestBody)
  end)

  it("turns options.multipart into multipart/form-data with binary file parts", function()
    local doc = doc_for(function(r)
      r:post("/media", { multipart = {
        file = { required = true, description = "The clip", content_type = "video/mp4" },
        stills = { multiple = true },
        caption = schema.string({ max_length = 100 }),
      } }, handler)
    end)
    local rb = doc.paths["/media"].post.requestBody
    assert.equal(true, rb.required)
    local media = rb.content["multipart/form-data"]
    assert.same({
      type = "object",
      properties = {
        file = { type = "string", format = "binary", contentMediaType = "video/mp4", description = "The clip" },
        stills = { type = "array", items = { type = "string", format = "binary" } },
        caption = { type = "string", maxLength = 100 },
      },
      required = { "file" },
    }, media.schema)
    assert.same({ file = { contentType = "video/mp4" } }, media.encoding)
  end)

  it("describes the success response from options.status and options.response", function()
    local project = schema.object({ id = schema.string({ required = true }) })
    local doc = doc_for(function(r) r:post("/projects", { status = 201, response = project }, handler) end)
    local created = doc.paths["/projects"].post.responses["201"]
    assert.equal("Created", created.description)
    assert.same(openapi.json_schema(project), created.content["application/json"].schema)
    assert.is_nil(doc.paths["/projects"].post.responses["200"])
  end)

  it("answers 200 with a generic object when no response schema is declared", function()
    local doc = doc_for(function(r) r:get("/hello", handler) end)
    assert.same({ description = "OK", content = { ["application/json"] = { schema = { type = "object" } } } },
      doc.paths["/hello"].get.responses["200"])
  end)

  it("gives a 204 no content", function()
    local doc = doc_for(function(r) r:delete("/p/{id}", { status = 204 }, handler) end)
    assert.same({ description = "No Content" }, doc.paths["/p/{id}"].delete.responses["204"])
  end)

  it("uses options.produces for responses that are not JSON", function()
    local doc = doc_for(function(r) r:get("/events", { produces = "text/event-stream" }, handler) end)
    assert.same({ ["text/event-stream"] = { schema = { type = "string" } } }, doc.paths["/events"].get.responses["200"].content)
  end)

  it("adds 400, 404 and 500 errors to every operation, plus options.errors", function()
    local doc = doc_for(function(r) r:post("/p", { errors = { 409 } }, handler) end)
    local responses = doc.paths["/p"].post.responses
    for _, code in ipairs({ "400", "404", "409", "500" }) do
      assert.same({ schema = { ["$ref"] = "#/components/schemas/Error" } }, responses[code].content["application/json"], code)
      assert.truthy(responses[code].description)
    end
    assert.equal("Conflict", responses["409"].description)
  end)

  it("derives a unique operationId from the method and path", function()
    local doc = doc_for(function(r)
      r:get("/api/v1/projects/{id}", handler)
      r:get("/", handler)
      r:get("/api-v1/projects/{id}", handler)
    end)
    assert.equal("get_api_v1_projects_id", doc.paths["/api/v1/projects/{id}"].get.operationId)
    assert.equal("get_root", doc.paths["/"].get.operationId)
    assert.equal("get_api_v1_projects_id_2", doc.paths["/api-v1/projects/{id}"].get.operationId)
  end)

  it("keeps a declared operation_id, which derived ids then avoid", function()
    local doc = doc_for(function(r)
      r:get("/b", handler)
      r:get("/a", { operation_id = "get_b" }, handler)
    end)
    assert.equal("get_b", doc.paths["/a"].get.operationId)
    assert.equal("get_b_2", doc.paths["/b"].get.operationId)
  end)

  it("refuses an operation_id declared twice", function()
    assert.error(function()
      doc_for(function(r)
        r:get("/a", { operation_id = "same" }, handler)
        r:get("/b", { operation_id = "same" }, handler)
      end)
    end, "operation_id 'same' is used twice")
  end)

  it("copies summary, description, tags and deprecated, and lists the tags once", function()
    local doc = doc_for(function(r)
      r:get("/p", { summary = "List", description = "All of them", tags = { "projects" }, deprecated = true }, handler)
      r:get("/s", { tags = { "scenes", "projects" } }, handler)
    end)
    local op = doc.paths["/p"].get
    assert.equal("List", op.summary)
    assert.equal("All of them", op.description)
    assert.equal('["projects"]', json.encode(op.tags))
    assert.equal(true, op.deprecated)
    assert.equal('[{"name":"projects"},{"name":"scenes"}]', json.encode(doc.tags))
  end)

  it("hoists named object schemas into components and refers to them", function()
    local scene = schema.object({ order = schema.integer() }, { name = "Scene" })
    local project = schema.object({ scenes = schema.array(scene) }, { name = "Project" })
    local doc = doc_for(function(r)
      r:post("/p", { body = project, response = project }, handler)
      r:get("/s", { response = scene }, handler)
    end)
    local op = doc.paths["/p"].post
    assert.same({ ["$ref"] = "#/components/schemas/Project" }, op.requestBody.content["application/json"].schema)
    assert.same({ ["$ref"] = "#/components/schemas/Project" }, op.responses["200"].content["application/json"].schema)
    assert.same({ ["$ref"] = "#/components/schemas/Scene" }, doc.components.schemas.Project.properties.scenes.items)
    assert.equal("Scene", doc.components.schemas.Scene.title)
  end)

  it("accepts two equal schemas under one name and refuses two different ones", function()
    local function named(max)
      return schema.object({ a = schema.string({ max_length = max }) }, { name = "Thing" })
    end
    doc_for(function(r) r:get("/a", { response = named(3) }, handler); r:get("/b", { response = named(3) }, handler) end)
    assert.error(function()
      doc_for(function(r) r:get("/a", { response = named(3) }, handler); r:get("/b", { response = named(4) }, handler) end)
    end, "two different schemas are named 'Thing'")
  end)

  it("reserves the name Error for the error envelope", function()
    assert.error(function()
      doc_for(function(r) r:get("/a", { response = schema.object({}, { name = "Error" }) }, handler) end)
    end, "the schema name 'Error' is reserved")
  end)

  it("refuses a route record that repeats a method and path", function()
    local r = router.new()
    r:get("/a", handler)
    assert.error(function() openapi.document({ r.routes[1], r.routes[1] }) end, "GET /a is declared twice")
  end)

  it("encodes to JSON whose empty objects and arrays keep their shape", function()
    local doc = doc_for(function(r)
      r:post("/p/{id}", { body = schema.object({ tags = schema.array(schema.string(), { default = {} }) }),
                          query = schema.object({}) }, handler)
    end, { title = "T", version = "1" })
    local text = json.encode(doc)
    assert.truthy(text:find('"default":[]', 1, true))
    assert.truthy(text:find('"openapi":"3.1.0"', 1, true))
    local back = json.decode(text)
    assert.equal("T", back.info.title)
    assert.truthy(json.is_array(back.paths["/p/{id}"].post.parameters))
  end)
end)
