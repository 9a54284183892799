-- models/esrgan_slim.lua — ESRGAN-slim 2x / 4x (@upscalerjs/esrgan-slim, MIT; under 1 MB each).
-- Small and fast: the fixture the tests pull and run. About 0.4 dB below bicubic on photos,
-- so the product upscaler is realesr-animevideov3; this one proves the pipeline end to end.
local SOURCE = { npm = "@upscalerjs/esrgan-slim", version = "1.0.0",
                 sha256 = "b53070ff01363e74d33138106dcc72b58d341c9fb7e8fd648554a4e7744142b5",
                 format = "tfjs_layers" }

local function model(scale)
  local source = {}
  for k, v in pairs(SOURCE) do source[k] = v end
  source.path = ("package/models/x%d"):format(scale)
  return {
    name = ("esrgan-slim-x%d"):format(scale), task = "upscale", license = "MIT",
    description = ("ESRGAN-slim %dx super-resolution (TF.js weights converted to TorchScript)"):format(scale),
    input = { range = 255, channels = "rgb" },           -- RGB 0..255 in
    output = { kind = "image", range = 255, scale = scale },  -- RGB 0..255 out (clamped by the engine)
    tile = 192, overlap = 16, fp16 = true,
    source = source,
  }
end

return { model(2), model(4) }
