-- exporters — the timeline export formats: every file in scripts/exporters/ is one.
--
-- An exporter module returns
--   { name = "edl", description = "...", extension = "edl", content_type = "text/plain; charset=utf-8",
--     editors = { "DaVinci Resolve", ... }, options = schema.object{...} (query options, optional),
--     export = function(timeline, options) return text end }
-- or, for a bundle (a zip built by a job), bundle = true and
--     entries = function(timeline, options, ctx) return { {name, data | path [, remove_after]} ... } end
-- where timeline is timeline.model's build() result. Files are discovered from
-- the loaded tree (engine.modules), so a file saved into scripts/exporters/
-- appears with the next reload, without a restart; one that fails to load is
-- listed with its error and the others keep working.
local engine = require("moonreel.engine")
local schema = require("moonreel.schema")

local M = {}

-- name → module, plus a list of load problems {module, error}.
function M.all()
  local by_name, problems = {}, {}
  for _, module in ipairs(engine.modules("exporters")) do
    local ok, ex = pcall(require, module)
    if not ok then
      problems[#problems + 1] = { module = module, error = tostring(ex) }
    elseif type(ex) ~= "table" or type(ex.name) ~= "string" or
           (type(ex.export) ~= "function" and not (ex.bundle and type(ex.entries) == "function")) then
      problems[#problems + 1] = { module = module,
                                  error = "must return {name, export = function(timeline, options)} or a bundle with entries" }
    else
      ex.options = ex.options or schema.object({})
      by_name[ex.name] = ex
    end
  end
  return by_name, problems
end

function M.get(name) return (M.all())[name] end

return M
