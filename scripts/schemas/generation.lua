-- schemas/generation.lua — inputs of the built-in generation workflows and the generation endpoints.
--
-- One declaration per workflow input: the queue validates a submission
-- against it (400 with "input.<field>"), the runner validates again before
-- running, and GET /generators shows it.
local schema = require("moonreel.schema")

local S = {}

local function merge(...)
  local out = {}
  for _, t in ipairs({ ... }) do
    for k, v in pairs(t) do out[k] = v end
  end
  return out
end

local side = function(desc) return schema.integer({ between = { 64, 4096 }, description = desc }) end

-- What every generation shares: the provider, the prompt, the seed, where results go.
S.common = {
  provider = schema.string({ max_length = 64, description = "Provider name (GET /assets); default providers.default" }),
  prompt = schema.string({ max_length = 4000, default = "", description = "What to show" }),
  negative_prompt = schema.string({ max_length = 4000, default = "", description = "What not to show" }),
  seed = schema.integer({ between = { 0, 4294967295 }, description = "Same seed + prompt → same picture; default: random, reported in the result" }),
  parameters = schema.object({}, { additional = true, description = "Provider-specific options (steps, cfg, sampler ...)" }),
  sheet_id = schema.string({ max_length = 64, description = "Media board sheet that receives the results as cards" }),
}

local size = {
  width = side("Width in pixels; default 1024, or the source image's"),
  height = side("Height in pixels; default 576, or the source image's aspect at the width"),
  aspect_ratio = schema.string({ pattern = "^%d+:%d+$", description = "e.g. 16:9; sets height from width" }),
}

local source = {
  image = schema.string({ required = true, max_length = 2000, description = "Stored image (/files/... URL or artifact path)" }),
}

S.txt2img = schema.object(merge(S.common, size, {
  count = schema.integer({ default = 1, between = { 1, 16 }, description = "Images to make (seeds seed, seed+1, ...)" }),
}))

S.img2img = schema.object(merge(S.common, size, source, {
  strength = schema.number({ default = 0.6, between = { 0, 1 }, description = "How far from the source image to move" }),
  count = schema.integer({ default = 1, between = { 1, 16 } }),
}))

S.img2video = schema.object(merge(S.common, size, {
  image = schema.string({ max_length = 2000, description = "Stored still to animate; default: one made from the prompt" }),
  duration_s = schema.number({ default = 2, between = { 0.25, 30 }, description = "Clip length in seconds" }),
  fps = schema.integer({ default = 12, between = { 1, 60 } }),
  motion = schema.enum({ "zoom_in", "zoom_out", "pan_left", "pan_right" }, { default = "zoom_in" }),
}))

S.upscale = schema.object({
  image = source.image,
  scale = schema.enum({ 2, 4 }, { default = 2, description = "Enlargement factor" }),
  model = schema.string({ max_length = 64, description = "Model name or family (esrgan-slim, realesr-animevideov3); default: infer.upscaler, else resampling" }),
  sheet_id = S.common.sheet_id,
})

S.remove_background = schema.object({
  image = source.image,
  method = schema.enum({ "auto", "grabcut", "isnet" }, { default = "auto",
                       description = "auto: isnet when pulled, else grabcut" }),
  card_id = schema.string({ max_length = 64, description = "Board card the image came from: the cut-out becomes a card beside it" }),
  sheet_id = S.common.sheet_id,
})

-- POST /api/v1/generation: one clip, image or video.
S.generation_request = schema.object({
  clip_id = schema.string({ required = true, max_length = 64 }),
  type = schema.enum({ "image", "video" }, { default = "image" }),
  prompt = schema.string({ max_length = 4000, description = "Default: the clip's image_prompt / video_prompt" }),
  negative_prompt = schema.string({ max_length = 4000 }),
  seed = S.common.seed,
  width = schema.integer({ between = { 64, 4096 } }),
  height = schema.integer({ between = { 64, 4096 } }),
  provider = S.common.provider,
  template_id = schema.string({ max_length = 64, description = "Style template folded into the prompt" }),
  parameters = S.common.parameters,
  priority = schema.integer({ default = 0, between = { -1000, 1000 } }),
  webhook_url = schema.string({ max_length = 2048 }),
})

S.generation_batch = schema.object({
  requests = schema.array(S.generation_request, { min_items = 1, max_items = 100, required = true }),
})

-- POST /generate (the asset generator's surface): a workflow by name, or a type.
S.generate = schema.object({
  workflow = schema.string({ max_length = 100, description = "Workflow name; default txt2img" }),
  input = schema.object({}, { additional = true }),
  priority = schema.integer({ default = 0, between = { -1000, 1000 } }),
  project_id = schema.string({ max_length = 64 }),
  webhook_url = schema.string({ max_length = 2048 }),
}, { additional = false })

S.generate_batch = schema.object({
  items = schema.array(S.generate, { min_items = 1, max_items = 100, required = true }),
  project_id = schema.string({ max_length = 64 }),
})

return S
