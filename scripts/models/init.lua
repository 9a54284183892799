-- models — the declared inference models: every file in scripts/models/ declares some.
--
-- A model file returns one spec table or a list of them (see docs/models.md):
--   { name = "esrgan-slim-x2", task = "upscale", file = "esrgan-slim-x2.pt", license = "MIT",
--     input = { range = 255, mean = 0, std = 1, layout = "nchw", channels = "rgb", size = nil },
--     output = { kind = "image", range = 255, scale = 2 }, tile = 192, overlap = 16,
--     fp16 = true, concurrency = 1,
--     source = { npm = "@upscalerjs/esrgan-slim", version = "1.0.0", sha256 = "...",
--                format = "tfjs_layers", path = "package/models/x2" } }
-- declare_all() hands each to the engine's model manager (moonreel.infer), which
-- keeps one shared table for the process: declaring the same spec again is
-- free, a changed spec replaces the old one (and unloads it). Files are found
-- in the loaded tree (engine.modules), so a model file saved while the server
-- runs is declared at the next request after the reload. A file that fails
-- to load, or a spec the engine refuses, is reported and the others still count.
local engine = require("moonreel.engine")
local infer = require("moonreel.infer")

local M = {}

local declared  -- this Lua state's result: states are rebuilt on reload, so it stays fresh

local function specs_of(value)
  if type(value) ~= "table" then return nil end
  if value.name then return { value } end
  return value
end

-- → names (sorted), problems {module, error}
function M.declare_all()
  if declared then return declared.names, declared.problems end
  local names, problems = {}, {}
  for _, module in ipairs(engine.modules("models")) do
    if module ~= "models.init" and module ~= "models" then
      local ok, value = pcall(require, module)
      local list = ok and specs_of(value) or nil
      if not ok then
        problems[#problems + 1] = { module = module, error = tostring(value) }
      elseif not list then
        problems[#problems + 1] = { module = module, error = "must return a model spec or a list of them" }
      else
        for _, spec in ipairs(list) do
          local done, err = pcall(infer.declare, spec)
          if done then
            names[#names + 1] = spec.name
          else
            problems[#problems + 1] = { module = module, error = type(err) == "table" and err.message or tostring(err) }
          end
        end
      end
    end
  end
  table.sort(names)
  declared = { names = names, problems = problems }
  return names, problems
end

-- The model's info (state absent | available | loaded, ...) or nil when not declared.
function M.info(name)
  M.declare_all()
  return infer.model(name)
end

-- True when the model is declared and its file is in the models directory.
function M.present(name)
  local info = M.info(name)
  return info ~= nil and info.state ~= "absent"
end

-- The upscaling model to use for `scale`: `wanted` is a model name or a family
-- ("esrgan-slim" → "esrgan-slim-x4"). Without one, the configured family
-- (infer.upscaler), then esrgan-slim, whichever is present. Returns the name, or
-- nil plus the reason when `wanted` was given but cannot run.
function M.upscaler(scale, wanted)
  M.declare_all()
  local function resolve(name)
    local info = infer.model(name) or infer.model(("%s-x%d"):format(name, scale))
    if info and info.spec.output.scale ~= scale then return nil, nil end
    return info
  end
  if wanted then
    local info = resolve(wanted)
    if not info then
      return nil, "MODEL_NOT_FOUND", ("no upscaling model '%s' for %dx is declared"):format(wanted, scale)
    end
    if info.state == "absent" then
      return nil, "MODEL_ABSENT", ("model '%s' is declared but not installed: run `moonreel models pull %s`")
        :format(info.name, info.name)
    end
    return info.name
  end
  for _, family in ipairs({ engine.config("infer.upscaler"), "esrgan-slim" }) do
    local info = family and family ~= "" and resolve(family)
    if info and info.state ~= "absent" then return info.name end
  end
  return nil
end

return M
