-- workflows/upscale.lua — enlarge a stored image 2x or 4x.
--
-- Without a super-resolution model this resamples (Lanczos) and says so in the
-- result (method = "resample"); a model-backed upscaler plugs in through
-- input.model once the inference primitive lands.
local workflow = require("moonreel.workflow")
local S = require("schemas.generation")
local json = require("moonreel.json")
local outputs = require("services.outputs")

local MAX_SIDE = 16384

return workflow.define({
  description = "Upscale a stored image 2x or 4x",
  kinds = { "image" },
  input = S.upscale,
  outputs = { artifacts = "the enlarged image (PNG)", method = "resample | model name", scale = "factor" },
  run = function(ctx, input)
    if input.model then
      ctx.fail("MODEL_NOT_AVAILABLE", ("no upscaling model '%s' is installed"):format(input.model))
    end
    local img, side = outputs.load_image(input.image)
    local w, h = img:width() * input.scale, img:height() * input.scale
    if w > MAX_SIDE or h > MAX_SIDE then
      ctx.fail("INVALID_INPUT", ("the result would be %dx%d; the largest side allowed is %d"):format(w, h, MAX_SIDE))
    end
    ctx.progress(10, "resampling")
    local started = require("moonreel.engine").monotonic()
    local big = img:resize(w, h)
    ctx.progress(80, "storing")
    local a = outputs.save_image(big, { workflow = "upscale", job_id = ctx.job.id, source = side.url,
                                        scale = input.scale, method = "resample",
                                        duration_s = require("moonreel.engine").monotonic() - started })
    return { artifacts = json.array({ a }), method = "resample", scale = input.scale }
  end,
  complete = function(ctx, result, input) require("services.generate_run").deliver(ctx, result, input) end,
})
