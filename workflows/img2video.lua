-- workflows/img2video.lua — a short clip from a still (pan / zoom), or from a prompt when no still is given.
local workflow = require("moonreel.workflow")
local S = require("schemas.generation")
local run = require("services.generate_run")

return workflow.define({
  description = "Image to video: animate a stored still (or one made from the prompt) into a short MP4",
  kinds = { "video" },
  input = S.img2video,
  outputs = { artifacts = "one H.264 MP4 with a thumbnail", seed = "seed used", provider = "provider name" },
  run = function(ctx, input) return run.video(ctx, input) end,
  complete = run.deliver,
})
