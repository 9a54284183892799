-- api/v1/models.lua — /api/v1/models: the declared inference models, their state, load and unload.
--
-- State is the process-wide model manager's (shared by every Lua state and job
-- worker): absent (declared, file not pulled), available (file present), loaded.
local router = require("moonreel.router")
local errors = require("moonreel.errors")
local json = require("moonreel.json")
local infer = require("moonreel.infer")
local models = require("models")

local r = router.new({ prefix = "/api/v1/models" })
local tags = { "models" }

local function model_or_404(name)
  models.declare_all()
  local info = infer.model(name)
  if not info then errors.not_found(("Model '%s' not found"):format(name), { model = name }) end
  return info
end

r:get("/", { summary = "Declared models: state, device, dtype, bytes, last used, in flight", tags = tags }, function()
  local _, problems = models.declare_all()
  local list = infer.models()
  return { models = json.array(list), total = #list, device = infer.device(), problems = json.array(problems) }
end)

r:get("/{name}", { summary = "One model, with its declared pre- and post-processing", tags = tags }, function(req)
  return model_or_404(req.params.name)
end)

r:post("/{name}/load", { summary = "Load a model now (checksum, device, warm-up) instead of at first use",
                         tags = tags }, function(req)
  model_or_404(req.params.name)
  return infer.load(req.params.name)
end)

r:post("/{name}/unload", { summary = "Free a loaded model's memory (runs in flight finish first)", tags = tags },
       function(req)
  model_or_404(req.params.name)
  local was = infer.unload(req.params.name)
  local info = infer.model(req.params.name)
  info.unloaded = was
  return info
end)

return r
