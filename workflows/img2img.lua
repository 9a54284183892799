-- workflows/img2img.lua — a stored image and a prompt to new images that keep its composition.
local workflow = require("moonreel.workflow")
local S = require("schemas.generation")
local outputs = require("services.outputs")
local run = require("services.generate_run")

return workflow.define({
  description = "Image to image: repaint a stored image after a prompt (strength 0 keeps it, 1 ignores it)",
  kinds = { "image" },
  input = S.img2img,
  outputs = { artifacts = "the images (PNG)", seed = "first seed used", provider = "provider name" },
  run = function(ctx, input)
    local source, side = outputs.load_image(input.image)
    return run.images(ctx, input, source, side.url)
  end,
  complete = run.deliver,
})
