-- services/catalog.lua — what can be generated: workflows (GET /generators) and providers (GET /assets).
--
-- Input schemas are shown as JSON Schema (the same conversion the OpenAPI
-- document uses), so a front end can build its forms from them.
local json = require("moonreel.json")
local openapi = require("moonreel.openapi")
local workflow = require("moonreel.workflow")
local providers = require("providers")

local M = {}

function M.generators()
  local items = json.array()
  for _, wf in ipairs(workflow.list()) do
    items[#items + 1] = { name = wf.name, description = wf.description, kinds = json.array(wf.kinds or {}),
                          input_schema = openapi.json_schema(wf.input), outputs = wf.outputs }
  end
  return { generators = items, total = #items }
end

function M.assets()
  local items = json.array()
  for _, p in ipairs(providers.list()) do
    items[#items + 1] = { name = p.name, description = p.description, kinds = p.kinds, default = p.default,
                          concurrency = providers.concurrency(p.name) }
  end
  local gens = M.generators()
  return { providers = items, generators = gens.generators, default_provider = providers.default_name() }
end

return M
