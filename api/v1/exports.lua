-- api/v1/exports.lua — timeline exports (FCPXML, EDL, Premiere XML, OTIO, JSON ...) as downloads.
local router = require("moonreel.router")
local schema = require("moonreel.schema")
local exports = require("services.exports")

-- An ASCII filename for old clients and the exact UTF-8 one (RFC 6266 / 5987) for the rest.
local function download(res, body, content_type, name)
  local plain = name:gsub("[\192-\255][\128-\191]*", "_"):gsub('[^%w%-%._ ]', "_")
  local exact = name:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end)
  res:header("Content-Disposition", ("attachment; filename=\"%s\"; filename*=UTF-8''%s"):format(plain, exact))
  res:send(body, content_type)
end

local r = router.new({ prefix = "/api/v1" })
local tags = { "exports" }

r:get("/exports/formats", { summary = "Export formats loaded from scripts/exporters/, with their options", tags = tags },
      function() return exports.formats() end)

-- Text formats answer at once as a download; bundles (otioz, resolve) are jobs: 202 + job id, the zip is its artifact.
local function export_or_queue(req, res, project_id, format)
  if exports.is_bundle(format) then
    local job, created = exports.submit_bundle(project_id, format, req.query, req.query_all,
                                               req.headers["idempotency-key"])
    res:status(created and 202 or 200)
    return require("services.queue").accepted(job)
  end
  download(res, exports.export(project_id, format, req.query, req.query_all))
end

r:get("/projects/{id}/export/{format}", { summary = "Export a project's timeline (?fps=, ?scene_id=, format options)",
                                          tags = tags }, function(req, res)
  return export_or_queue(req, res, req.params.id, req.params.format)
end)

r:post("/projects/{id}/export/{format}", { summary = "Export a project's timeline (bundles queue a job)", tags = tags,
                                           status = 202 }, function(req, res)
  return export_or_queue(req, res, req.params.id, req.params.format)
end)

-- The animatic renders as a job (202 + job id); its result is the MP4 artifact.
local animatic_body = schema.object({
  fps = schema.enum({ "23.976", "24", "25", "29.97", "30", "50", "59.94", "60" }),
  width = schema.integer({ between = { 16, 4096 } }), height = schema.integer({ between = { 16, 4096 } }),
  burn_in = schema.boolean(), music = schema.boolean(), scene_id = schema.string({ max_length = 64 }),
  webhook_url = schema.string({ max_length = 2048 }),
})

r:post("/projects/{id}/animatic", { summary = "Render the timeline to an MP4 animatic (a job)", tags = tags,
                                    body = animatic_body, status = 202 }, function(req, res)
  local queue = require("services.queue")
  require("services.common").found(require("repositories.projects"):find(req.params.id), "Project", req.params.id)
  local input = { project_id = req.params.id }
  for _, k in ipairs({ "fps", "width", "height", "burn_in", "music", "scene_id" }) do input[k] = req.data[k] end
  local job, created = queue.submit({ workflow = "animatic", input = input, project_id = req.params.id, kind = "video",
                                      webhook_url = req.data.webhook_url,
                                      idempotency_key = req.headers["idempotency-key"] })
  res:status(created and 202 or 200)
  return queue.accepted(job)
end)

r:post("/projects/{id}/conform", {
  summary = "Re-order and re-time the project's clips to an edited .otio or .fcpxml", tags = tags,
  multipart = { file = { required = true, description = "The edited timeline (.otio JSON or .fcpxml)" } },
}, function(req)
  local conform = require("timeline.conform")
  local f = req.files and req.files.file
  if not f or f.size == 0 then
    require("moonreel.errors").validation("an edited timeline is required (multipart field 'file')", {
      fields = require("moonreel.json").array({ { field = "file", issue = "required" } }) })
  end
  return conform.apply(req.params.id, conform.read(f.data, f.filename))
end)

-- The storyboard design's four legacy export endpoints.
local legacy = router.new({ prefix = "/api/export" })
legacy:get("/{project_id}/{format}", { summary = "Legacy export path (fcpxml, edl, resolve, json)", tags = tags },
           function(req, res)
  return export_or_queue(req, res, req.params.project_id, req.params.format)
end)

return { r, legacy }
