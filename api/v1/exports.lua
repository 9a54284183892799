-- api/v1/exports.lua — timeline exports (FCPXML, EDL, Premiere XML, OTIO, JSON ...) as downloads.
local router = require("moonreel.router")
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

r:get("/projects/{id}/export/{format}", { summary = "Export a project's timeline (?fps=, ?scene_id=, format options)",
                                          tags = tags }, function(req, res)
  download(res, exports.export(req.params.id, req.params.format, req.query, req.query_all))
end)

-- The storyboard design's four legacy export endpoints.
local legacy = router.new({ prefix = "/api/export" })
legacy:get("/{project_id}/{format}", { summary = "Legacy export path (fcpxml, edl, resolve, json)", tags = tags },
           function(req, res)
  download(res, exports.export(req.params.project_id, req.params.format, req.query, req.query_all))
end)

return { r, legacy }
