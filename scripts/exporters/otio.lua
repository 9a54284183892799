-- exporters/otio.lua — OpenTimelineIO JSON (Timeline.1 / Stack.1 / Track.1 / Clip.1 / Gap.1 /
-- ExternalReference.1 / Marker.2), readable by OpenTimelineIO 0.14 and later.
--
-- One video track; times are RationalTime frame counts at the timeline's rate
-- (23.976 = 24000/1001); scene starts are track markers; each clip's metadata
-- holds moonreel.clip_id (what conform matches on).
local json = require("moonreel.json")

local M = {
  name = "otio", extension = "otio", content_type = "application/json",
  description = "OpenTimelineIO (.otio JSON)",
  editors = { "OpenTimelineIO tools", "DaVinci Resolve 18+", "Hiero / Nuke Studio", "Blender (via adapters)" },
}

local function rt(value, rate) return { OTIO_SCHEMA = "RationalTime.1", rate = rate, value = value } end
local function range(start, dur, rate)
  return { OTIO_SCHEMA = "TimeRange.1", start_time = rt(start, rate), duration = rt(dur, rate) }
end
local function item_base(schema_name, name, metadata)
  return { OTIO_SCHEMA = schema_name, name = name, effects = json.array(), markers = json.array(),
           metadata = metadata or json.object(), enabled = true }
end

function M.build(tl)
  local rate = tl.rate.num / tl.rate.den
  local children, markers = json.array(), json.array()
  for _, s in ipairs(tl.scenes) do
    markers[#markers + 1] = { OTIO_SCHEMA = "Marker.2", name = ("Scene %d: %s"):format(s.index, s.name),
                              color = "RED", comment = "", marked_range = range(s.start, 0, rate),
                              metadata = { moonreel = { scene_id = s.id } } }
  end
  for _, it in ipairs(tl.items) do
    if it.kind == "gap" then
      local g = item_base("Gap.1", "")
      g.source_range = range(0, it.duration, rate)
      children[#children + 1] = g
    else
      local c = item_base("Clip.1", it.clip.name, { moonreel = { clip_id = it.clip.id, scene_id = it.scene.id,
                                                                  media_kind = it.media.kind, media_url = it.media.url } })
      c.source_range = range(it.source_in, it.duration, rate)
      c.media_reference = {
        OTIO_SCHEMA = "ExternalReference.1", name = it.media.name, target_url = require("timeline.model").media_ref(tl, it.media),
        available_range = it.media.frames and range(0, it.media.frames, rate) or json.null, metadata = json.object(),
      }
      children[#children + 1] = c
    end
  end
  local track = item_base("Track.1", "Video 1")
  track.kind, track.children, track.source_range, track.markers = "Video", children, json.null, markers
  local stack = item_base("Stack.1", "tracks")
  stack.children, stack.source_range = json.array({ track }), json.null
  return { OTIO_SCHEMA = "Timeline.1", name = tl.project.name, global_start_time = rt(0, rate), tracks = stack,
           metadata = { moonreel = { project_id = tl.project.id, fps = tl.fps } } }
end

function M.export(tl) return json.encode(M.build(tl), { pretty = true }) .. "\n" end

return M
