-- api/core.lua — fixture routes that exercise the request / response surface.
local router = require("moonreel.router")
local errors = require("moonreel.errors")
local json = require("moonreel.json")
local engine = require("moonreel.engine")
local greeting = require("greeting")

local r = router.new()

r:get("/hello", function() return { message = greeting.word() } end)

r:get("/echo/{id}", function(req)
  return { method = req.method, path = req.path, params = req.params, query = req.query,
           query_all = req.query_all, agent = req.headers["user-agent"], id = req.id }
end)

r:post("/echo", function(req, res)
  res:status(201)
  return { json = req.json == nil and json.null or req.json, body_length = #req.body }
end)

r:post("/upload", function(req)
  local out = { files = {}, form = req.form or json.object() }
  for name, f in pairs(req.files or {}) do
    out.files[name] = { filename = f.filename, size = f.size, content_type = f.content_type, first = f.data:sub(2, 4) }
  end
  out.files = next(out.files) and out.files or json.object()
  return out
end)

r:get("/missing/{id}", function(req)
  errors.not_found("Project with id '" .. req.params.id .. "' not found", { id = req.params.id })
end)

r:get("/boom", function() local t = nil; return t.field end)

r:get("/global", function() leaked = 1; return {} end)

r:get("/bytes", function(req, res)
  res:header("X-Custom", "yes"):send("\0\1\2binary", "application/octet-stream")
end)

r:get("/text", function() return "plain text" end)

r:get("/empty", function() end)

r:get("/stream", function(req, res)
  local n = 0
  res:stream(function()
    n = n + 1
    if n > 3 then return nil end
    return "data: " .. n .. "\n\n"
  end, "text/event-stream")
end)

r:get("/slow", function(req)
  engine.sleep(tonumber(req.query.s or "0.5"))
  return { version = "v1" }
end)

r:delete("/items/{id}", function(req) return { deleted = req.params.id } end)
r:get("/items/{id}", function(req) return { id = req.params.id } end)
r:get("/assets/{path...}", function(req) return { path = req.params.path } end)

return r
