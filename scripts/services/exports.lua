-- services/exports.lua — timeline exports: pick the exporter, check its options, build, answer a download.
--
-- Query parameters: fps (23.976, 24, 25, 29.97, 30, 50, 59.94, 60; default 24),
-- scene_id (one scene), and the exporter's own options (its `options` schema;
-- unknown ones are a 400). The text comes back as an attachment named after
-- the project.
local errors = require("moonreel.errors")
local json = require("moonreel.json")
local openapi = require("moonreel.openapi")
local schema = require("moonreel.schema")
local exporters = require("exporters")
local model = require("timeline.model")

local M = {}

function M.formats()
  local all, problems = exporters.all()
  local items = json.array()
  for name, ex in pairs(all) do
    items[#items + 1] = { name = name, description = ex.description or "", extension = ex.extension,
                          bundle = ex.bundle == true,
                          content_type = ex.content_type, editors = json.array(ex.editors or {}),
                          options = openapi.json_schema(ex.options) }
  end
  table.sort(items, function(a, b) return a.name < b.name end)
  local broken = json.array()
  for i, p in ipairs(problems) do broken[i] = p end
  return { formats = items, problems = broken }
end

function M.filename(project, ext)
  -- Path separators and control characters out; letters in any script stay.
  local base = tostring(project.name):gsub("[%c/\\:*?\"<>|]", ""):gsub("^%s+", ""):gsub("%s+$", "")
  if base == "" then base = "timeline" end
  return base .. "." .. ext
end

local function exporter(format)
  local ex = exporters.get(format)
  if not ex then
    local names = {}
    for n in pairs((exporters.all())) do names[#names + 1] = n end
    table.sort(names)
    errors.not_found(("no export format '%s' (known: %s)"):format(format, table.concat(names, ", ")), { format = format })
  end
  return ex
end

-- The exporter's own options out of a query string (fps and scene_id are everyone's).
local function options_of(ex, query, query_all)
  local own = {}
  for k, v in pairs(query) do
    if k ~= "fps" and k ~= "scene_id" then own[k] = v end
  end
  return schema.check_query(ex.options, own, query_all)
end

function M.is_bundle(format) return exporter(format).bundle == true end

-- A bundle is a job (export_bundle workflow); returns (job, created).
function M.submit_bundle(project_id, format, query, query_all, idempotency_key)
  local ex = exporter(format)
  local opts = options_of(ex, query, query_all)
  model.build(project_id, { fps = query.fps, scene_id = query.scene_id })  -- 404 / 400 now, not in the job
  return require("services.queue").submit({
    workflow = "export_bundle", project_id = project_id, kind = "bundle", idempotency_key = idempotency_key,
    input = { project_id = project_id, format = format, fps = query.fps or "24", scene_id = query.scene_id,
              options = next(opts) and opts or json.object() } })
end

-- Returns body, content_type, filename.
function M.export(project_id, format, query, query_all)
  local ex = exporter(format)
  local opts = options_of(ex, query, query_all)
  local tl = model.build(project_id, { fps = query.fps, scene_id = query.scene_id })
  if query.scene_id and #tl.scenes == 0 then
    errors.validation("request is invalid", { fields = json.array({
      { field = "scene_id", issue = ("no main scene '%s' in this project"):format(query.scene_id) } }) })
  end
  return ex.export(tl, opts), ex.content_type or "application/octet-stream", M.filename(tl.project, ex.extension or format)
end

return M
