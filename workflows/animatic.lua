-- workflows/animatic.lua — a project's timeline rendered to an MP4 animatic (stills, clips, slates, music).
local workflow = require("moonreel.workflow")
local schema = require("moonreel.schema")
local json = require("moonreel.json")
local model = require("timeline.model")
local animatic = require("timeline.animatic")
local outputs = require("services.outputs")

return workflow.define({
  description = "Render a project's timeline to an H.264 animatic: every cut on its frame, optional burn-in and music",
  kinds = { "video" },
  input = schema.object({
    project_id = schema.string({ required = true, max_length = 64 }),
    scene_id = schema.string({ max_length = 64, description = "Only this scene" }),
    fps = schema.enum({ "23.976", "24", "25", "29.97", "30", "50", "59.94", "60" }, { default = "24" }),
    width = schema.integer({ default = 1280, between = { 16, 4096 } }),
    height = schema.integer({ default = 720, between = { 16, 4096 } }),
    burn_in = schema.boolean({ default = false, description = "Write scene and clip names on the picture" }),
    music = schema.boolean({ default = true, description = "Mux the project's music, trimmed and faded" }),
  }),
  outputs = { artifacts = "the MP4", frames = "its frame count (the timeline's)" },
  run = function(ctx, input)
    local ok, tl = pcall(model.build, input.project_id, { fps = input.fps, scene_id = input.scene_id })
    if not ok then ctx.fail("INVALID_INPUT", tostring(type(tl) == "table" and tl.message or tl)) end
    if tl.duration == 0 then ctx.fail("EMPTY_TIMELINE", "the project has no clips to render") end
    ctx.progress(1, "timeline: " .. tl.duration .. " frames")
    local path, frames = animatic.render(tl, input, ctx)
    ctx.progress(95, "storing")
    local a = outputs.save_video(path, { workflow = "animatic", job_id = ctx.job.id, project_id = input.project_id,
                                         fps = input.fps, timeline_frames = tl.duration })
    return { artifacts = json.array({ a }), frames = frames, timeline_frames = tl.duration, fps = input.fps }
  end,
})
