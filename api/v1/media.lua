-- api/v1/media.lua — /api/v1/media: the project soundtrack and face images.
local router = require("moonreel.router")
local media = require("services.media")
local projects = require("services.projects")
local repo = require("repositories.projects")

local r = router.new({ prefix = "/api/v1/media" })
local tags = { "media" }

r:post("/projects/{id}/upload-music", {
  summary = "Upload the project's music (audio, 50 MB by default)", tags = tags, status = 201,
  multipart = { file = { required = true, description = "MP3, WAV, OGG, FLAC or M4A audio" } },
}, function(req, res)
  projects.get(req.params.id)
  local a = media.store_upload(req.files and req.files.file, "audio", media.max_music_bytes(),
                               { project_id = req.params.id })
  repo:update(req.params.id, { music_file = a.url })
  res:status(201)
  return { project_id = req.params.id, music_file = a.url, content_type = a.content_type, bytes = a.bytes,
           sha256 = a.sha256 }
end)

r:post("/upload-face", {
  summary = "Upload a face image (10 MB by default)", tags = tags, status = 201,
  multipart = { file = { required = true, description = "PNG, JPEG, WebP or GIF image" } },
}, function(req, res)
  local a = media.store_upload(req.files and req.files.file, "image", media.max_image_bytes())
  res:status(201)
  return { url = a.url, content_type = a.content_type, bytes = a.bytes, sha256 = a.sha256 }
end)

return r
