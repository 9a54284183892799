-- exporters/json.lua — the timeline as JSON: project, scenes and clips with media URLs and frame-exact timing.
local json = require("moonreel.json")

local M = {
  name = "json", extension = "json", content_type = "application/json",
  description = "moonreel timeline JSON (frame-exact; media URLs resolved)",
  editors = { "scripts", "custom pipelines" },
}

function M.export(tl)
  local scenes, items = json.array(), json.array()
  for i, s in ipairs(tl.scenes) do
    scenes[i] = { id = s.id, name = s.name, index = s.index, start_frame = s.start, duration_frames = s.duration }
  end
  for i, it in ipairs(tl.items) do
    local item = { kind = it.kind, scene_id = it.scene.id, record_in = it.start, record_out = it.start + it.duration,
                   duration_frames = it.duration }
    if it.kind == "clip" then
      item.clip_id, item.name, item.index, item.source_in = it.clip.id, it.clip.name, it.index, it.source_in
      item.lyrics = it.clip.lyrics
      item.prompt = it.clip.image_prompt
      item.media = { kind = it.media.kind, url = it.media.url, width = it.media.width, height = it.media.height }
    end
    items[i] = item
  end
  return json.encode({
    format = "moonreel.timeline", version = 1,
    project = { id = tl.project.id, name = tl.project.name, description = tl.project.description },
    fps = tl.fps, rate = { num = tl.rate.num, den = tl.rate.den }, duration_frames = tl.duration,
    duration_s = tl.duration * tl.rate.den / tl.rate.num, scenes = scenes, items = items,
  }, { pretty = true }) .. "\n"
end

return M
