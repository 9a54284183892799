-- moonreel.repl — evaluating REPL input in a session's own environment.
--
-- eval(session, chunk) → status, text where status is "ok", "error" or
-- "incomplete" (the chunk is a valid prefix: ask for another line). A line
-- starting with "=" prints the expression; a bare expression also prints its
-- value(s), like Tarantool's console: "return <line>" is tried first.
-- Top-level strings print raw; tables are pretty-printed.
local inspect = require("moonreel.inspect")

local M = {}

-- A session environment: reads fall through to the engine's globals, writes
-- stay in the session, and the engine modules are preloaded by short name.
function M.new_session()
  local env = setmetatable({}, { __index = _G })
  env.json = require("moonreel.json")
  env.log = require("moonreel.log")
  env.engine = require("moonreel.engine")
  env.errors = require("moonreel.errors")
  env.router = require("moonreel.router")
  env.inspect = inspect
  return { env = env }
end

local function format_value(v)
  if type(v) == "string" then return v end
  return inspect(v)
end

local function traceback(err)
  if type(err) ~= "string" then err = inspect(err) end
  -- Drop the REPL's own frames below the user's chunk.
  local tb = debug.traceback(err, 2)
  return (tb:gsub("\n%s*%[C%]: in function 'xpcall'.*$", ""))
end

function M.eval(session, chunk)
  local out = {}
  local env = session.env
  rawset(env, "print", function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    out[#out + 1] = table.concat(parts, "\t")
  end)
  local src = chunk
  if src:sub(1, 1) == "=" then src = "return " .. src:sub(2) end
  local fn, err = loadstring("return " .. src, "=repl")
  -- An unfinished expression ("{", "f(1,") is as incomplete as an unfinished statement.
  local unfinished = not fn and err:match("<eof>'?$") ~= nil
  if not fn then fn, err = loadstring(src, "=repl") end
  if not fn then
    if unfinished or err:match("<eof>'?$") then return "incomplete", "" end
    return "error", err
  end
  setfenv(fn, env)
  -- select("#") counts nils: `1, nil` shows both (a table of results has holes).
  local results = { n = 0 }
  local function collect(ok, ...)
    results.n = select("#", ...)
    for i = 1, results.n do results[i] = (select(i, ...)) end
    return ok
  end
  if not collect(xpcall(fn, traceback)) then
    out[#out + 1] = results[1]
    return "error", table.concat(out, "\n")
  end
  local n = results.n
  local shown = {}
  for i = 1, n do shown[i] = format_value(results[i]) end
  if n > 0 then out[#out + 1] = table.concat(shown, "\t") end
  return "ok", table.concat(out, "\n")
end

-- Completion of "a.b.pre" / "obj:pre" against the session's values.
function M.complete(session, text)
  local base, sep, partial = text:match("^(.-)([%.:])([%w_]*)$")
  local scope
  if base then
    scope = session.env
    for part in base:gmatch("[^%.]+") do
      local ok, v = pcall(function() return scope[part] end)
      if not ok or (type(v) ~= "table") then return {} end
      scope = v
    end
  else
    partial, base, sep = text, "", ""
  end
  local seen, out = {}, {}
  local function add_keys(t)
    for k in pairs(t) do
      if type(k) == "string" and k:sub(1, #partial) == partial and not seen[k] then
        seen[k] = true
        out[#out + 1] = base .. sep .. k
      end
    end
  end
  if scope then
    add_keys(scope)
    local mt = getmetatable(scope)
    if mt and type(mt.__index) == "table" then add_keys(mt.__index) end
  else
    add_keys(session.env)
    add_keys(_G)
  end
  table.sort(out)
  return out
end

return M
