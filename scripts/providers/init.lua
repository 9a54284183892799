-- providers — the registry of generation providers: one interface, chosen by name.
--
-- A provider is a module returning
--   { name = "draft", description = "...", kinds = { image = true, video = true, mask = true },
--     generate = function(request, ctx) ... end }
-- request: { kind = "image" | "video" | "mask", prompt, negative_prompt, seed, width, height,
--            parameters = {...}, image = <image handle> (img2img / img2video / mask source),
--            strength (img2img), duration_s, fps, motion (video) }
-- generate returns, for image and mask: { image = <image handle>, metadata = {...} };
-- for video: { path = <finished MP4 under store.temp_path()>, metadata = {...} }.
-- metadata lands in each artifact's sidecar (provider, draft = true, model ...).
-- ctx is the job context: call ctx.progress(pct, step) at step boundaries (it
-- raises when the job is cancelled — let it propagate) and fail with
-- ctx.fail(code, message, { retryable = true }) for errors worth retrying
-- (a GPU server that is down). Providers keep no state between calls beyond
-- their module table: every Lua state loads its own copy.
--
-- Which providers exist: the built-in ones below plus every name under the
-- `providers.settings` configuration key ({ name = { module = "providers.x",
-- concurrency = 2, ... } }); `providers.default` names the default. Apps may
-- also call register(module).
local engine = require("moonreel.engine")

local M = {}

local BUILTIN = { "draft" }
local registered = {}

local function settings_all()
  local s = engine.config("providers.settings")
  return type(s) == "table" and s or {}
end

function M.settings(name) return settings_all()[name] or {} end

function M.concurrency(name)
  local n = tonumber(M.settings(name).concurrency)
  return (n and n >= 1) and math.floor(n) or 1
end

function M.default_name() return engine.config("providers.default") or "draft" end

function M.register(p)
  assert(type(p) == "table" and type(p.name) == "string" and type(p.generate) == "function",
         "providers.register: a provider needs name and generate")
  registered[p.name] = p
end

local function names()
  local out, seen = {}, {}
  local function add(n) if not seen[n] then seen[n] = true; out[#out + 1] = n end end
  for _, n in ipairs(BUILTIN) do add(n) end
  for n in pairs(settings_all()) do add(n) end
  for n in pairs(registered) do add(n) end
  table.sort(out)
  return out
end

local function load(name)
  if registered[name] then return registered[name] end
  local module = M.settings(name).module or ("providers." .. name)
  local ok, p = pcall(require, module)
  if not ok then error(("provider '%s' failed to load: %s"):format(name, tostring(p)), 0) end
  return p
end

-- The provider (nil or "" = the default); an unknown name fails the job with UNKNOWN_PROVIDER.
function M.get(name)
  if name == nil or name == "" then name = M.default_name() end
  for _, n in ipairs(names()) do
    if n == name then return load(name) end
  end
  require("moonreel.workflow").fail("UNKNOWN_PROVIDER", ("no provider named '%s' (known: %s)"):format(
    tostring(name), table.concat(names(), ", ")))
end

function M.exists(name)
  for _, n in ipairs(names()) do if n == name then return true end end
  return false
end

function M.list()
  local out, default = {}, M.default_name()
  for _, n in ipairs(names()) do
    local ok, p = pcall(load, n)
    local kinds = {}
    if ok then for k in pairs(p.kinds or {}) do kinds[#kinds + 1] = k end end
    table.sort(kinds)
    out[#out + 1] = { name = n, description = ok and p.description or ("unavailable: " .. tostring(p)),
                      kinds = require("moonreel.json").array(kinds), default = n == default, available = ok }
  end
  return out
end

return M
