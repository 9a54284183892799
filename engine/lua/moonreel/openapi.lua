-- moonreel.openapi — the OpenAPI 3.1 document of an app, built from its route
-- records and the moonreel.schema declarations they carry.
--
--   local openapi = require("moonreel.openapi")
--   local doc = openapi.document(app.routes(), { title = "moonreel", version = "1.0.0" })
--   return json.encode(doc)
--
-- Contract (docs/schemas.md, "OpenAPI"):
--   * document(routes, info, opts) reads {method, path, options} of each
--     route: path parameters ({id}, {rest...}), options.query (an object
--     schema: one query parameter per field), options.body (application/json)
--     and options.multipart (multipart/form-data), options.status and
--     options.response (the success response), summary, description, tags,
--     deprecated, operation_id, produces, errors. Every operation also
--     answers 400 / 404 / 500 with #/components/schemas/Error.
--   * json_schema(s) converts one schema to JSON Schema 2020-12. Lua patterns
--     are not ECMA regexes, so they travel as x-lua-pattern and a description
--     note, never as `pattern`.
--   * The result is a plain Lua table whose empty objects and arrays are
--     tagged, so json.encode writes {} and [] where the spec expects them.
--     Nothing is cached: call it again after a reload.
local json = require("moonreel.json")
local schema = require("moonreel.schema")

local null = json.null
local type, pairs, ipairs, next, tostring, error, pcall = type, pairs, ipairs, next, tostring, error, pcall
local getmetatable, setmetatable = getmetatable, setmetatable
local sort = table.sort

local M = {}

local STATUS_TEXT = {
  [200] = "OK", [201] = "Created", [202] = "Accepted", [204] = "No Content",
  [301] = "Moved Permanently", [302] = "Found", [304] = "Not Modified",
  [400] = "Bad request: the request or its body is invalid", [401] = "Unauthorized", [403] = "Forbidden",
  [404] = "Not found", [405] = "Method not allowed", [409] = "Conflict", [410] = "Gone",
  [413] = "Payload too large", [415] = "Unsupported media type", [422] = "Unprocessable content",
  [429] = "Too many requests", [500] = "Internal error", [503] = "Service unavailable",
}

local ERROR_SCHEMA_NAME = "Error"
local ERROR_REF = "#/components/schemas/" .. ERROR_SCHEMA_NAME

local function error_schema()
  return {
    type = "object",
    description = "The envelope of every error response.",
    required = json.array({ "error" }),
    properties = {
      error = {
        type = "object",
        required = json.array({ "code", "message" }),
        properties = {
          code = { type = "string", description = "A stable, upper-case code such as VALIDATION_ERROR." },
          message = { type = "string", description = "A sentence for humans." },
          details = {
            type = "object",
            description = "Context for the error; for VALIDATION_ERROR, fields: [{field, issue}].",
          },
        },
      },
    },
  }
end

-- -- Schemas -------------------------------------------------------------------

local function tagged_copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = tagged_copy(x) end
  local mt = getmetatable(v)
  if mt == json.array_mt or mt == json.object_mt then setmetatable(out, mt) end
  return out
end

-- A value for `default` / `examples`: cleaned by its schema when it passes
-- (so an empty array default is tagged []), else copied as written.
local function schema_value(s, v)
  local probe = {}
  for k, x in pairs(s) do probe[k] = x end
  probe.default = nil
  local clean = schema.validate(probe, v)
  if clean ~= nil then return clean end
  return tagged_copy(v)
end

local function deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do
    if not deep_equal(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local convert

-- ctx (inside document()) hoists named object schemas into components.
local function to_json_schema(s, ctx)
  if not schema.is_schema(s) then
    error("openapi: expected a moonreel.schema schema, got " .. type(s) .. " " .. tostring(s), 0)
  end
  if not (ctx and s.type == "object" and s.name) then return convert(s, ctx) end
  local name = s.name
  if name == ERROR_SCHEMA_NAME then
    error("openapi: the schema name '" .. ERROR_SCHEMA_NAME .. "' is reserved for the error envelope", 0)
  end
  local owner = ctx.named[name]
  if owner == nil then
    ctx.named[name] = s
    ctx.schemas[name] = convert(s, ctx)
  elseif owner ~= s and not deep_equal(convert(s, ctx), ctx.schemas[name]) then
    error("openapi: two different schemas are named '" .. name .. "'", 0)
  end
  return { ["$ref"] = "#/components/schemas/" .. name }
end

function convert(s, ctx)
  local out = json.object()
  local kind = s.type
  if kind ~= "any" then
    out.type = s.nullable and json.array({ kind, "null" }) or kind
  elseif not s.nullable then
    out["not"] = { type = "null" }
  end
  if s.name then out.title = s.name end

  local description = s.description
  if kind == "string" then
    out.minLength, out.maxLength, out.format = s.min_length, s.max_length, s.format
    if s.pattern then
      out["x-lua-pattern"] = s.pattern
      local note = "Must match the Lua pattern `" .. s.pattern .. "`."
      description = description and (description .. "\n\n" .. note) or note
    end
  elseif kind == "integer" or kind == "number" then
    out.minimum = s.min or (s.between and s.between[1])
    out.maximum = s.max or (s.between and s.between[2])
  elseif kind == "array" then
    out.items = to_json_schema(s.items, ctx)
    out.minItems, out.maxItems = s.min_items, s.max_items
  elseif kind == "object" then
    local properties, required = json.object(), json.array()
    local fields = s.fields or {}
    for _, name in ipairs(schema.field_order(s)) do
      local field = fields[name]
      properties[name] = to_json_schema(field, ctx)
      if field.required and field.default == nil then required[#required + 1] = name end
    end
    out.properties = properties
    if #required > 0 then out.required = required end
    if s.additional == true then
      out.additionalProperties = true
    elseif schema.is_schema(s.additional) then
      out.additionalProperties = to_json_schema(s.additional, ctx)
    else
      out.additionalProperties = false
    end
  end

  if s.one_of then
    local values = json.array()
    for i, v in ipairs(s.one_of) do values[i] = v end
    if s.nullable then values[#values + 1] = null end
    out.enum = values
  end
  if s.default ~= nil then out.default = schema_value(s, s.default) end
  if s.example ~= nil then out.examples = json.array({ schema_value(s, s.example) }) end
  if description then out.description = description end
  if s.deprecated then out.deprecated = true end
  return out
end

function M.json_schema(s)
  if not schema.is_schema(s) then error("openapi.json_schema: not a schema", 2) end
  return convert(s, nil)
end

-- -- Operations ----------------------------------------------------------------

local function json_content(media_type, s)
  return { [media_type] = { schema = s } }
end

local function error_response(status)
  return {
    description = STATUS_TEXT[status] or ("Error " .. status),
    content = json_content("application/json", { ["$ref"] = ERROR_REF }),
  }
end

-- "/files/{path...}" → "/files/{path}", with its parameter names in order.
local function openapi_path(path)
  local params = {}
  local out = path:gsub("{([^}]*)}", function(inner)
    local name, rest = inner:match("^(.-)(%.%.%.)$")
    name = name or inner
    params[#params + 1] = { name = name, rest = rest ~= nil }
    return "{" .. name .. "}"
  end)
  return out, params
end

local function operation_id(method, path, used)
  local parts = { method:lower() }
  for segment in path:gmatch("[^/]+") do
    local name = segment:gsub("[{}]", ""):gsub("%.%.%.$", ""):gsub("[^%w]+", "_")
    if name ~= "" and name ~= "_" then parts[#parts + 1] = name end
  end
  if #parts == 1 then parts[2] = "root" end
  local base = table.concat(parts, "_")
  local id, n = base, 1
  while used[id] do
    n = n + 1
    id = base .. "_" .. n
  end
  return id
end

local function object_fields(s, what, route)
  if not (schema.is_schema(s) and s.type == "object") then
    error("openapi: " .. route.method .. " " .. route.path .. ": options." .. what .. " must be an object schema", 0)
  end
  return schema.field_order(s), s.fields or {}
end

local function parameters(route, params, ctx)
  local options = route.options or {}
  local out = json.array()
  local path_fields = {}
  if options.params ~= nil then
    local _, fields = object_fields(options.params, "params", route)
    path_fields = fields
  end
  for _, p in ipairs(params) do
    local field = path_fields[p.name]
    local description = field and field.description
    if p.rest then
      local note = "The rest of the path; it may contain '/'."
      description = description and (description .. " " .. note) or note
    end
    out[#out + 1] = {
      name = p.name,
      ["in"] = "path",
      required = true,
      description = description,
      schema = field and to_json_schema(field, ctx) or { type = "string" },
    }
  end
  if options.query ~= nil then
    local order, fields = object_fields(options.query, "query", route)
    for _, name in ipairs(order) do
      local field = fields[name]
      local p = {
        name = name,
        ["in"] = "query",
        required = (field.required and field.default == nil) and true or false,
        description = field.description,
        deprecated = field.deprecated or nil,
        schema = to_json_schema(field, ctx),
      }
      -- Arrays travel as ?tags=a,b (schema.coerce_query splits on commas).
      if field.type == "array" then p.style, p.explode = "form", false end
      out[#out + 1] = p
    end
  end
  return out
end

local function multipart_schema(parts, route, ctx)
  if type(parts) ~= "table" then
    error("openapi: " .. route.method .. " " .. route.path .. ": options.multipart must be a table", 0)
  end
  local properties, required, encoding = json.object(), json.array(), json.object()
  local names = {}
  for name in pairs(parts) do names[#names + 1] = name end
  sort(names)
  for _, name in ipairs(names) do
    local part = parts[name]
    if schema.is_schema(part) then
      properties[name] = to_json_schema(part, ctx)
    else
      local file = { type = "string", format = "binary", description = part.description }
      if part.content_type then file.contentMediaType = part.content_type end
      properties[name] = part.multiple and { type = "array", items = file } or file
      if part.content_type then encoding[name] = { contentType = part.content_type } end
    end
    if part.required and part.default == nil then required[#required + 1] = name end
  end
  local s = { type = "object", properties = properties }
  if #required > 0 then s.required = required end
  local media = { schema = s }
  if next(encoding) then media.encoding = encoding end
  return media
end

local function request_body(route, ctx)
  local options = route.options or {}
  if options.body == nil and options.multipart == nil then return nil end
  local content = json.object()
  local required = false
  local description
  if options.body ~= nil then
    content["application/json"] = { schema = to_json_schema(options.body, ctx) }
    required = options.body.default == nil
    description = options.body.description
  end
  if options.multipart ~= nil then
    content["multipart/form-data"] = multipart_schema(options.multipart, route, ctx)
    required = true
  end
  return { required = required, description = description, content = content }
end

local function responses(route, ctx)
  local options = route.options or {}
  local status = options.status or 200
  local out = json.object()
  local success = { description = options.response_description or STATUS_TEXT[status] or "Success" }
  if status ~= 204 and status ~= 304 then
    local media_type = options.produces or "application/json"
    local s
    if options.response ~= nil then
      s = to_json_schema(options.response, ctx)
    elseif media_type == "application/json" then
      s = { type = "object" }
    else
      s = { type = "string" }
    end
    success.content = json_content(media_type, s)
  end
  out[tostring(status)] = success
  local codes = { 400, 404, 500 }
  for _, code in ipairs(options.errors or {}) do codes[#codes + 1] = code end
  for _, code in ipairs(codes) do
    if code ~= status then out[tostring(code)] = error_response(code) end
  end
  return out
end

local function operation(route, params, ctx)
  local options = route.options or {}
  local op = {
    summary = options.summary,
    description = options.description,
    deprecated = options.deprecated and true or nil,
    parameters = parameters(route, params, ctx),
    requestBody = request_body(route, ctx),
    responses = responses(route, ctx),
  }
  if #op.parameters == 0 then op.parameters = nil end
  if options.tags then
    local tags = json.array()
    for i, t in ipairs(options.tags) do
      tags[i] = t
      ctx.tags[t] = true
    end
    op.tags = tags
  end
  return op
end

local INFO_KEYS = { "title", "summary", "description", "termsOfService", "contact", "license", "version" }
local METHODS = { get = true, put = true, post = true, delete = true, options = true, head = true,
                  patch = true, trace = true }

-- routes: records {method, path, options} (app.routes()); info: the Info
-- object (title and version default); opts.servers: a list of {url, description}.
function M.document(routes, info, opts)
  info, opts = info or {}, opts or {}
  local ctx = { schemas = json.object(), named = {}, tags = {} }
  ctx.schemas[ERROR_SCHEMA_NAME] = error_schema()
  local paths, used_ids = json.object(), {}
  -- Declared ids first, so a derived id never takes one of them.
  for _, route in ipairs(routes or {}) do
    local id = (route.options or {}).operation_id
    if id then
      if used_ids[id] then error("openapi: operation_id '" .. id .. "' is used twice", 2) end
      used_ids[id] = true
    end
  end
  for _, route in ipairs(routes or {}) do
    local method = tostring(route.method):lower()
    if not METHODS[method] then error("openapi: unsupported method " .. tostring(route.method), 2) end
    local path, params = openapi_path(route.path)
    local item = paths[path]
    if not item then
      item = json.object()
      paths[path] = item
    end
    if item[method] then error("openapi: " .. route.method .. " " .. path .. " is declared twice", 2) end
    local ok, op = pcall(operation, route, params, ctx)
    if not ok then error(op, 2) end
    local id = (route.options or {}).operation_id
    if not id then
      id = operation_id(method, path, used_ids)
      used_ids[id] = true
    end
    op.operationId = id
    item[method] = op
  end

  local out_info = json.object()
  for _, k in ipairs(INFO_KEYS) do out_info[k] = tagged_copy(info[k]) end
  out_info.title = out_info.title or "moonreel API"
  out_info.version = out_info.version or "0.0.0"

  local doc = {
    openapi = "3.1.0",
    info = out_info,
    paths = paths,
    components = { schemas = ctx.schemas },
  }
  if opts.servers then
    local servers = json.array()
    for i, s in ipairs(opts.servers) do servers[i] = tagged_copy(s) end
    doc.servers = servers
  end
  local tag_names = {}
  for t in pairs(ctx.tags) do tag_names[#tag_names + 1] = t end
  if #tag_names > 0 then
    sort(tag_names)
    local tags = json.array()
    for i, t in ipairs(tag_names) do tags[i] = { name = t } end
    doc.tags = tags
  end
  return doc
end

return M
