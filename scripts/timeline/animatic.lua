-- timeline/animatic.lua — renders a timeline to an MP4 the way an editor would cut it.
--
-- Exactly the timeline's frame count at its rational rate (the video writer
-- stamps frame k at k * den / num), every cut on its frame: stills and slates
-- are held for their clip's frames, videos are decoded frame by frame from
-- their in-point (held on their last frame if the clip outlasts them), gaps
-- are black. burn_in writes "scene · clip" and the clip number on each item.
-- With music, the project's soundtrack is muxed in as AAC, trimmed to the
-- picture and faded out over its last second.
local image = require("moonreel.image")
local store = require("moonreel.store")
local video = require("moonreel.video")
local tc = require("timeline.timecode")

local M = {}

local function burn(frame, it, w, h)
  local size = math.max(12, math.floor(h / 24))
  local label = ("%03d  %s / %s"):format(it.index or 0, it.scene.name, it.clip and it.clip.name or "gap")
  local tw = image.text_size(label, size)
  frame:rect(0, h - size * 2, math.min(w, tw + size * 2), size * 2, { 0, 0, 0 })
  frame:text(label, size, h - size * 2 + math.floor(size / 2), size, { 255, 255, 255 })
  return frame
end

-- opts: width, height, burn_in, music (bool); ctx for progress. Returns the MP4's temp path and frame count.
function M.render(tl, opts, ctx)
  local w, h = opts.width, opts.height
  local out = store.temp_path("mp4")
  local writer = video.writer(out, { fps_num = tl.rate.num, fps_den = tl.rate.den, width = w, height = h })
  local black = image.new(w, h, "#000000")
  local done = 0
  for i, it in ipairs(tl.items) do
    if it.kind == "gap" then
      writer:write(opts.burn_in and burn(black:crop(0, 0, w, h), it, w, h) or black, it.duration)
    elseif it.media.kind == "video" then
      local last
      for k = 0, it.duration - 1 do
        local src = it.source_in + k
        if not it.media.frames or src < it.media.frames then
          last = video.frame_at(it.media.path, tc.seconds(src, tl.rate)):convert("rgb"):cover(w, h)
          if opts.burn_in then burn(last, it, w, h) end
        end
        writer:write(last or black)
      end
    else
      local still = image.load(it.media.path):convert("rgb"):cover(w, h)
      if opts.burn_in then burn(still, it, w, h) end
      writer:write(still, it.duration)
    end
    done = done + it.duration
    if ctx then ctx.progress(90 * done / math.max(1, tl.duration), ("item %d of %d"):format(i, #tl.items)) end
  end
  local result = writer:close()
  local music = tl.project.music_file
  if opts.music and type(music) == "string" and store.exists(music) then
    if ctx then ctx.progress(92, "music") end
    local with_audio = store.temp_path("mp4")
    video.add_audio(out, store.file_path(music), with_audio, { trim = true, fade_out_s = 1.0 })
    os.remove(out)
    out = with_audio
  end
  return out, result.frames
end

return M
