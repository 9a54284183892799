-- api/v1/images.lua — /api/v1/images: image operations that run as jobs (upscaling).
local router = require("moonreel.router")
local errors = require("moonreel.errors")
local json = require("moonreel.json")
local schema = require("moonreel.schema")
local media = require("services.media")
local queue = require("services.queue")

local r = router.new({ prefix = "/api/v1/images" })
local tags = { "images" }

local upscale_fields = {
  media_url = schema.string({ max_length = 2000, description = "A stored image (/files/...) when no file is uploaded" }),
  scale = schema.enum({ 2, 4 }, { default = 2, description = "Enlargement factor" }),
  model = schema.string({ max_length = 64, description = "Model name or family (esrgan-slim); default: infer.upscaler, else resampling" }),
}
local upscale_body = schema.object(upscale_fields)

local function invalid(field, issue, message)
  errors.validation(message or "request body is invalid", { fields = json.array({ { field = field, issue = issue } }) })
end

-- Multipart: `file` plus optional text fields scale / model; JSON: {media_url, scale, model}.
local function upscale_input(req)
  local fields
  if req.files and req.files.file then
    local f = req.form or {}
    fields = { scale = f.scale and tonumber(f.scale) or nil, model = f.model }
    if f.scale and not fields.scale then invalid("scale", "must be 2 or 4") end
  elseif type(req.json) == "table" then
    fields = req.json
  else
    invalid("file", "required (or JSON with media_url)", "send a multipart 'file', or JSON with media_url")
  end
  local data = schema.check(upscale_body, fields)
  if req.files and req.files.file then
    local a = media.store_upload(req.files.file, "image", media.max_image_bytes(), { purpose = "upscale" })
    data.media_url = a.url
  elseif not data.media_url then
    invalid("media_url", "required (or upload a file)")
  else
    local m = media.describe_stored(data.media_url)
    if m.media_type ~= "image" then invalid("media_url", "not an image", "media_url is not an image") end
    data.media_url = m.media_url
  end
  return { image = data.media_url, scale = data.scale, model = data.model }
end

r:post("/upscale", {
  summary = "Upscale an image 2x or 4x with a super-resolution model (a job)", tags = tags, status = 202,
  multipart = { file = { description = "The image (or send JSON {media_url, scale, model})" },
                scale = { description = "2 or 4" }, model = { description = "model name or family" } },
}, function(req, res)
  local input = upscale_input(req)
  local job, created = queue.submit({ workflow = "upscale", input = input, kind = "image",
                                      idempotency_key = req.headers["idempotency-key"] })
  res:status(created and 202 or 200)
  return queue.accepted(job)
end)

return r
