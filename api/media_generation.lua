-- api/media_generation.lua — the media board's generation surface: /api/media/generate and
-- /api/background-removal/*; results land as cards.
--
-- Background removal keeps the board's request_id vocabulary (the job id) and
-- its statuses: queued | running | completed | failed | cancelled.
local router = require("moonreel.router")
local errors = require("moonreel.errors")
local json = require("moonreel.json")
local schema = require("moonreel.schema")
local jobs = require("moonreel.jobs")
local queue = require("services.queue")
local media = require("services.media")
local cards = require("services.cards")
local sheets = require("services.sheets")

local r = router.new()
local tags = { "media board" }

local generate_body = schema.object({
  prompt = schema.string({ required = true, min_length = 1, max_length = 4000 }),
  negative_prompt = schema.string({ max_length = 4000 }),
  type = schema.enum({ "image", "video" }, { default = "image" }),
  width = schema.integer({ between = { 64, 4096 } }),
  height = schema.integer({ between = { 64, 4096 } }),
  aspect_ratio = schema.string({ pattern = "^%d+:%d+$" }),
  seed = schema.integer({ between = { 0, 4294967295 } }),
  count = schema.integer({ between = { 1, 16 }, default = 1 }),
  provider = schema.string({ max_length = 64 }),
  sheet_id = schema.string({ max_length = 64, description = "Sheet for the result cards; default: the default sheet" }),
  parameters = schema.object({}, { additional = true }),
})

r:post("/api/media/generate", { summary = "Generate an image or video; the result becomes a card", tags = tags,
                                body = generate_body, status = 202 }, function(req, res)
  local b = req.data
  local sheet = b.sheet_id and sheets.get(b.sheet_id) or sheets.default()
  local input = { prompt = b.prompt, negative_prompt = b.negative_prompt, width = b.width, height = b.height,
                  aspect_ratio = b.aspect_ratio, seed = b.seed, provider = b.provider, parameters = b.parameters,
                  sheet_id = sheet.id }
  if b.type == "image" then input.count = b.count end
  local job, created = queue.submit({ workflow = b.type == "video" and "img2video" or "txt2img", input = input,
                                      kind = b.type, idempotency_key = req.headers["idempotency-key"] })
  res:status(created and 202 or 200)
  return { request_id = job.id, job_id = job.id, status = "queued", sheet_id = sheet.id }
end)

local STATUS = { pending = "queued", processing = "running", completed = "completed", failed = "failed",
                 cancelled = "cancelled" }

-- The image to cut out: an uploaded file, a card's media, or a stored URL.
local function source_of(req)
  if req.files and req.files.file then
    local a = media.store_upload(req.files.file, "image", media.max_image_bytes(), { purpose = "background-removal" })
    return { image = a.url }
  end
  local body = req.json
  if type(body) ~= "table" then
    errors.validation("send a multipart 'file', or JSON with card_id or media_url", {
      fields = json.array({ { field = "file", issue = "required (or card_id / media_url)" } }) })
  end
  if body.card_id ~= nil then
    if type(body.card_id) ~= "string" then
      errors.validation("request body is invalid", { fields = json.array({ { field = "card_id", issue = "must be a string" } }) })
    end
    local card = cards.get(body.card_id)
    if card.media_type ~= "image" or card.media_url == json.null then
      errors.validation("the card holds no image", { fields = json.array({ { field = "card_id", issue = "has no image" } }) })
    end
    return { image = card.media_url, card_id = card.id }
  end
  if type(body.media_url) == "string" then
    local m = media.describe_stored(body.media_url)
    if m.media_type ~= "image" then
      errors.validation("media_url is not an image", { fields = json.array({ { field = "media_url", issue = "not an image" } }) })
    end
    return { image = m.media_url }
  end
  errors.validation("give card_id or media_url (or upload a file)", {
    fields = json.array({ { field = "card_id", issue = "card_id or media_url is required" } }) })
end

r:post("/api/background-removal/submit", {
  summary = "Remove an image's background (a job)", tags = tags, status = 202,
  multipart = { file = { description = "The image (or send JSON {card_id} / {media_url})" } },
}, function(req, res)
  local input = source_of(req)
  local job, created = queue.submit({ workflow = "remove_background", input = input, kind = "image",
                                      idempotency_key = req.headers["idempotency-key"] })
  res:status(created and 202 or 200)
  return { request_id = job.id, status = STATUS[job.status] }
end)

local function removal_job(id)
  local job = jobs.get(id)
  if not job or job.workflow ~= "remove_background" then
    errors.not_found(("Background removal request '%s' not found"):format(id), { request_id = id })
  end
  return job
end

r:get("/api/background-removal/status/{request_id}", { summary = "Status and result of a background removal",
                                                        tags = tags }, function(req)
  local job = removal_job(req.params.request_id)
  local out = { request_id = job.id, status = STATUS[job.status], progress = job.progress.percent,
                error = job.error, position = job.position }
  if job.status == "completed" then
    local a, m = job.result.artifacts[1], job.result.mask
    out.result = { media_url = a.url, mask_url = m.url, thumb_url = a.thumb_url, width = a.width, height = a.height,
                   method = job.result.method, card_id = job.result.card_id }
  end
  return out
end)

r:post("/api/background-removal/cancel/{request_id}", { summary = "Cancel a background removal", tags = tags },
       function(req)
  local job = removal_job(req.params.request_id)
  local outcome = queue.cancel(job.id)
  return { request_id = job.id, status = outcome.status, cancelled = true }
end)

return r
