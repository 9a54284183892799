-- workflows/upscale.lua — enlarge a stored image 2x or 4x with a super-resolution model.
--
-- The model: input.model (a name or a family such as "esrgan-slim"), else the
-- configured family (infer.upscaler), else esrgan-slim, whichever was pulled.
-- It runs tile by tile in bounded memory, each tile a progress event. A model
-- named in the request that is not declared or not pulled fails the job with
-- MODEL_NOT_FOUND / MODEL_ABSENT; with none named and none pulled the image is
-- resampled (Lanczos) and the result says method = "resample".
local workflow = require("moonreel.workflow")
local S = require("schemas.generation")
local json = require("moonreel.json")
local engine = require("moonreel.engine")
local infer = require("moonreel.infer")
local models = require("models")
local outputs = require("services.outputs")

local MAX_SIDE = 16384

return workflow.define({
  description = "Upscale a stored image 2x or 4x (super-resolution model, or resampling when none is pulled)",
  kinds = { "image" },
  input = S.upscale,
  outputs = { artifacts = "the enlarged image (PNG)", method = "model name | resample", scale = "factor",
              device = "where the model ran", tiles = "tiles run" },
  run = function(ctx, input)
    local name, code, why = models.upscaler(input.scale, input.model)
    if code then ctx.fail(code, why) end
    local img, side = outputs.load_image(input.image)
    local w, h = img:width() * input.scale, img:height() * input.scale
    if w > MAX_SIDE or h > MAX_SIDE then
      ctx.fail("INVALID_INPUT", ("the result would be %dx%d; the largest side allowed is %d"):format(w, h, MAX_SIDE))
    end
    local started = engine.monotonic()
    local big, meta
    if name then
      ctx.progress(5, "loading " .. name)
      local info
      big, info = infer.run(name, img, { progress = function(done, total)
        ctx.progress(5 + 85 * done / total, ("tile %d/%d"):format(done, total))
      end })
      meta = { method = name, model = name, device = info.device, dtype = info.dtype, tiles = info.tiles }
    else
      ctx.progress(10, "resampling")
      big = img:resize(w, h)
      meta = { method = "resample", tiles = 0 }
    end
    ctx.progress(92, "storing")
    meta.workflow, meta.job_id, meta.source, meta.scale = "upscale", ctx.job.id, side.url, input.scale
    meta.duration_s = engine.monotonic() - started
    local a = outputs.save_image(big, meta)
    a.method, a.model, a.device = meta.method, meta.model, meta.device
    return { artifacts = json.array({ a }), method = meta.method, model = meta.model, scale = input.scale,
             device = meta.device, tiles = meta.tiles, duration_s = meta.duration_s }
  end,
  complete = function(ctx, result, input) require("services.generate_run").deliver(ctx, result, input) end,
})
