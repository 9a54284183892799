-- moonreel.router — how an api/ file declares its routes.
--
--   local router = require("moonreel.router")
--   local r = router.new({ prefix = "/api/v1/projects" })
--   r:get("/{id}", function(req, res) return { id = req.params.id } end)
--   return r
--
-- Each method takes (path, [options,] handler). Options are kept with the
-- route (summary, body schema, status ...) for validation and the OpenAPI
-- document. The engine reads the routers that api/ files return; declaring
-- routes has no side effect, so a reload simply builds new routers.
local M = {}

local Router = {}
Router.__index = Router

local function join(prefix, path)
  if path == "" or path == "/" then
    return prefix ~= "" and prefix or "/"
  end
  if path:sub(1, 1) ~= "/" then path = "/" .. path end
  return prefix .. path
end

function M.new(opts)
  opts = opts or {}
  local prefix = opts.prefix or ""
  if prefix ~= "" then
    assert(prefix:sub(1, 1) == "/", "router prefix must start with '/'")
    prefix = prefix:gsub("/+$", "")
  end
  -- The router's own options live under `opts`: a field named `options` would
  -- hide the r:options() method.
  return setmetatable({ prefix = prefix, opts = opts, routes = {} }, Router)
end

function M.is_router(value)
  return getmetatable(value) == Router
end

-- Level 3 is the api/ file's line: add ← route/get wrapper ← caller.
local function add(self, method, path, options, handler)
  if handler == nil then
    handler, options = options, {}
  end
  if type(path) ~= "string" then error("route path must be a string", 3) end
  if type(handler) ~= "function" then error("route handler for " .. method .. " " .. path .. " must be a function", 3) end
  local info = debug.getinfo(3, "Sl")
  self.routes[#self.routes + 1] = {
    method = method,
    path = join(self.prefix, path),
    handler = handler,
    options = options or {},
    file = (info.source or "?"):gsub("^@", ""),
    line = info.currentline or 0,
  }
  return self
end

-- (Not tail calls: a tail call would drop the frame that level 3 counts on.)
function Router:route(method, path, options, handler)
  local r = add(self, method, path, options, handler)
  return r
end

for _, m in ipairs({ "get", "post", "put", "patch", "delete", "head", "options" }) do
  local upper = m:upper()
  Router[m] = function(self, path, options, handler)
    local r = add(self, upper, path, options, handler)
    return r
  end
end

return M
