-- workflows/txt2img.lua — a prompt (and seed) to one or more images, through the chosen provider.
local workflow = require("moonreel.workflow")
local S = require("schemas.generation")
local run = require("services.generate_run")

return workflow.define({
  description = "Text to image: count pictures from a prompt; seeds seed, seed+1, ...",
  kinds = { "image" },
  input = S.txt2img,
  outputs = { artifacts = "the images (PNG), in seed order", seed = "first seed used", provider = "provider name" },
  run = function(ctx, input) return run.images(ctx, input) end,
  complete = run.deliver,
})
