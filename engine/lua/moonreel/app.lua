-- moonreel.app — loads an app tree into a state and dispatches requests to its handlers.
--
-- The engine calls load() once per state with the module names of every api/
-- and workflows/ file, and dispatch() once per request. dispatch() never
-- raises for handler errors: it returns a plain response table that the C++
-- server writes — {status, headers, json | body | stream, content_type} — or
-- an error table {status, error = {code, message, details}, log = {...}}.
local json = require("moonreel.json")
local errors = require("moonreel.errors")
local router = require("moonreel.router")

local M = {}

local routes = {}      -- index → route (same order as the C++ route table)
local workflows = {}   -- name → workflow module

function M.load(api_modules, workflow_modules)
  local list = {}
  for _, name in ipairs(api_modules) do
    local value = require(name)
    local routers
    if router.is_router(value) then
      routers = { value }
    elseif type(value) == "table" and #value > 0 and router.is_router(value[1]) then
      routers = value
    else
      -- "file:1:" gives the load failure a location, like every other load error.
      local file = name:gsub("%.", "/") .. ".lua"
      error(file .. ":1: must return a router (require('moonreel.router').new()) or a list of routers", 0)
    end
    for _, r in ipairs(routers) do
      for _, route in ipairs(r.routes) do
        -- A malformed declaration fails the load (and `moonreel check`), not a request.
        for _, key in ipairs({ "body", "query" }) do
          local s = route.options[key]
          if s ~= nil and not require("moonreel.schema").is_schema(s) then
            error(("%s:%d: options.%s of %s %s is not a schema"):format(route.file, route.line, key,
                                                                         route.method, route.path), 0)
          end
        end
        routes[#routes + 1] = route
        list[#list + 1] = { method = route.method, path = route.path, file = route.file, line = route.line }
      end
    end
  end
  local names = {}
  for _, name in ipairs(workflow_modules) do
    local wf = require(name)
    local short = name:gsub("^workflows%.", "")
    if not require("moonreel.workflow").is_workflow(wf) then
      error(name:gsub("%.", "/") .. ".lua:1: must return require('moonreel.workflow').define{...}", 0)
    end
    workflows[short] = wf
    names[#names + 1] = short
  end
  return list, names
end

function M.routes() return routes end
function M.workflows() return workflows end

-- -- Response ---------------------------------------------------------------

local Response = {}
Response.__index = Response

local function new_response()
  return setmetatable({ _status = nil, _headers = {}, _body = nil, _json = nil, _has_json = false,
                        _stream = nil, _content_type = nil }, Response)
end

function Response:status(code)
  if type(code) ~= "number" or code < 100 or code > 599 then
    error("res:status expects an HTTP status 100-599", 2)
  end
  self._status = code
  return self
end

function Response:header(name, value)
  self._headers[#self._headers + 1] = { tostring(name), tostring(value) }
  return self
end

function Response:json(value, status)
  self._json, self._has_json = value, true
  if status then self:status(status) end
  return self
end

function Response:send(body, content_type, status)
  if type(body) ~= "string" then error("res:send expects a string body", 2) end
  self._body = body
  self._content_type = content_type or self._content_type or "application/octet-stream"
  if status then self:status(status) end
  return self
end

-- producer() is called until it returns nil; each string it returns is sent as
-- a chunk as soon as it is produced (server-sent events, long downloads).
function Response:stream(producer, content_type)
  if type(producer) ~= "function" then error("res:stream expects a function", 2) end
  self._stream = producer
  self._content_type = content_type or "application/octet-stream"
  return self
end

function Response:redirect(url, status)
  self:header("Location", url)
  self._status = status or 302
  self._body = ""
  return self
end

-- -- Dispatch ---------------------------------------------------------------

local function on_error(err)
  if errors.is(err) then return err end
  local message = type(err) == "string" and err or ("error object: " .. tostring(err))
  return { internal = true, message = message, traceback = debug.traceback(message, 2) }
end

local function finish(res, ret)
  local out = { status = res._status, headers = res._headers, content_type = res._content_type }
  if res._stream then
    out.stream = res._stream
  elseif res._body ~= nil then
    out.body = res._body
  elseif res._has_json then
    out.json, out.has_json = res._json, true
  elseif ret ~= nil then
    local t = type(ret)
    if t == "table" then
      out.json, out.has_json = ret, true
    elseif t == "string" then
      out.body = ret
      out.content_type = out.content_type or "text/plain; charset=utf-8"
    else
      error("a handler must return a table, a string or nothing (returned a " .. t .. ")", 0)
    end
  end
  out.status = out.status or ((out.body or out.has_json or out.stream) and 200 or 204)
  return out
end

-- Declared schemas run before the handler: options.body validates req.json
-- into req.data (defaults applied), options.query validates the query string
-- into req.args (typed). Failures are 400 VALIDATION_ERROR shaped like the schema.
local schema_lib
local function validate(route, req)
  local opts = route.options
  if opts.body == nil and opts.query == nil then return end
  schema_lib = schema_lib or require("moonreel.schema")
  if opts.query then
    req.args = schema_lib.check_query(opts.query, req.query, req.query_all)
  end
  if opts.body then
    if req.json == nil and req.body ~= "" then
      errors.raise(415, "UNSUPPORTED_MEDIA_TYPE", "request body must be JSON (Content-Type: application/json)")
    end
    req.data = schema_lib.check(opts.body, req.json == nil and json.object() or req.json)
  end
end

local function run_handler(route, req, res)
  validate(route, req)
  return route.handler(req, res)
end

function M.dispatch(index, req)
  local route = routes[index]
  local res = new_response()
  local ok, ret = xpcall(run_handler, on_error, route, req, res)
  if ok then
    ok, ret = xpcall(finish, on_error, res, ret)
    if ok then return ret end
  end
  if errors.is(ret) then
    for name, value in pairs(ret.headers or {}) do res:header(name, value) end
    return { status = ret.status, error = { code = ret.code, message = ret.message, details = ret.details },
             headers = res._headers }
  end
  return {
    status = 500,
    error = { code = "INTERNAL_ERROR", message = "internal error", details = json.object() },
    log = ret,
  }
end

return M
