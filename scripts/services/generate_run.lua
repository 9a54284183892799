-- services/generate_run.lua — the steps the built-in generation workflows share (the workflow side).
--
-- Contract: images() / video() ask a provider (scripts/providers) for
-- pictures, holding one of the provider's concurrency permits per call
-- (providers.concurrency, default 1: a burst queues instead of thrashing a
-- GPU), save each through services.outputs, and return the job result
--   { artifacts = { record, ... }, seed = n, provider = name }.
-- A missing seed is derived from the job id, so a retried job paints the same
-- picture. deliver() is the workflows' `complete` hook: it runs in the
-- transaction that completes the job and appends the artifacts to the job's
-- clip gallery (generated_images / generated_videos) and, when the input
-- names a board sheet, adds them as cards — exactly once, because a job
-- completes once.
local json = require("moonreel.json")
local providers = require("providers")
local outputs = require("services.outputs")

local M = {}

-- FNV-1a of the job id: a stable 32-bit seed.
function M.seed(ctx, input)
  if input.seed then return input.seed end
  local h = 2166136261
  for i = 1, #ctx.job.id do
    h = bit.bxor(h, ctx.job.id:byte(i))
    h = (h * 16777619) % 4294967296
  end
  return h
end

-- The output size: what the input asks, else the source image's proportions, else 1024x576;
-- aspect_ratio (e.g. "16:9") sets the height from the width.
function M.size(input, source)
  local w, h = input.width, input.height
  if source then
    w = w or (h and math.floor(h * source:width() / source:height() + 0.5)) or source:width()
    h = h or math.floor(w * source:height() / source:width() + 0.5)
  end
  w, h = w or 1024, h or 576
  if input.aspect_ratio then
    local a, b = input.aspect_ratio:match("^(%d+):(%d+)$")
    a, b = tonumber(a), tonumber(b)
    if a and b and a > 0 and b > 0 then h = math.floor(w * b / a / 8 + 0.5) * 8 end
  end
  return math.max(64, math.min(4096, w)), math.max(64, math.min(4096, h))
end

local function call(ctx, provider, request, sub)
  local name = provider.name
  return ctx.with_permit("provider:" .. name, providers.concurrency(name), provider.generate, request, sub)
end

local function meta_of(ctx, out, extra)
  local meta = { workflow = ctx.job.workflow, job_id = ctx.job.id }
  for k, v in pairs(out.metadata or {}) do meta[k] = v end
  for k, v in pairs(extra) do meta[k] = v end
  return meta
end

-- count images from a prompt (source = an image handle for img2img).
function M.images(ctx, input, source, source_url)
  local provider = providers.get(input.provider)
  local seed = M.seed(ctx, input)
  local w, h = M.size(input, source)
  local count = input.count or 1
  local artifacts = json.array()
  for i = 1, count do
    local lo, hi = (i - 1) * 100 / count, i * 100 / count
    local s = (seed + i - 1) % 4294967296
    local out = call(ctx, provider, {
      kind = "image", prompt = input.prompt, negative_prompt = input.negative_prompt, seed = s, width = w, height = h,
      parameters = input.parameters or {}, image = source, strength = input.strength,
    }, ctx.scoped(lo, hi))
    artifacts[i] = outputs.save_image(out.image, meta_of(ctx, out, {
      prompt = input.prompt, negative_prompt = input.negative_prompt, seed = s, provider = provider.name,
      source = source_url }))
    ctx.progress(hi, ("image %d of %d"):format(i, count))
  end
  return { artifacts = artifacts, seed = seed, provider = provider.name }
end

-- One short clip: from a stored still when given, else from a still the provider makes first.
function M.video(ctx, input)
  local provider = providers.get(input.provider)
  local seed = M.seed(ctx, input)
  local still, still_url
  if input.image then
    still, still_url = outputs.load_image(input.image)
  end
  local w, h = M.size(input, still)
  local out = call(ctx, provider, {
    kind = "video", prompt = input.prompt, negative_prompt = input.negative_prompt, seed = seed, width = w, height = h,
    parameters = input.parameters or {}, image = still, duration_s = input.duration_s, fps = input.fps,
    motion = input.motion,
  }, ctx.scoped(0, 95))
  local record = outputs.save_video(out.path, meta_of(ctx, out, {
    prompt = input.prompt, seed = seed, provider = provider.name, source = still_url and still_url.url or nil }))
  ctx.progress(100, "stored")
  return { artifacts = json.array({ record }), seed = seed, provider = provider.name }
end

-- -- Delivery (complete hook) -------------------------------------------------

local function gallery_entry(ctx, a, input)
  return { url = a.url, thumb_url = a.thumb_url, kind = a.kind, width = a.width, height = a.height,
           duration = a.duration, job_id = ctx.job.id, prompt = input.prompt, seed = a.seed,
           provider = a.provider, draft = a.draft, created_at = require("moonreel.engine").now_iso() }
end

function M.deliver(ctx, result, input)
  local artifacts = result.artifacts or {}
  local clip_id = ctx.job.clip_id
  if clip_id and clip_id ~= json.null then
    local clips = require("repositories.clips")
    local clip = clips:find(clip_id)
    if clip then  -- a clip deleted while its job ran simply gets nothing
      local images, videos = clip.generated_images, clip.generated_videos
      for _, a in ipairs(artifacts) do
        local list = a.kind == "video" and videos or images
        list[#list + 1] = gallery_entry(ctx, a, input)
      end
      clips:update(clip_id, { generated_images = images, generated_videos = videos })
    end
  end
  if input.sheet_id then
    local cards = require("services.cards")
    for _, a in ipairs(artifacts) do
      cards.create(input.sheet_id, {
        title = (input.prompt and input.prompt ~= "" and input.prompt:sub(1, 120)) or ctx.job.workflow,
        media_type = a.kind, media_url = a.url, thumb_url = a.thumb_url, width = a.width, height = a.height,
        duration = a.duration, metadata = { job_id = ctx.job.id, provider = a.provider, draft = a.draft },
      })
    end
  end
end

return M
