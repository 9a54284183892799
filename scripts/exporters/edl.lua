-- exporters/edl.lua — CMX 3600 edit decision list, one video track.
--
-- Fixed columns: event number (3), reel (8 characters: the media file's store
-- id, "BL" for black), track V, cut C, then source in/out and record in/out
-- timecodes. Record starts at `record_start` (01:00:00:00). Drop-frame only at
-- 29.97 / 59.94 with drop_frame=true (FCM: DROP FRAME, ";" separators). Each
-- event carries "* FROM CLIP NAME:", "* SOURCE FILE:" and "* COMMENT:
-- moonreel:clip:<id>"; scene starts are "* LOC:" markers (read by Resolve).
local schema = require("moonreel.schema")
local tc = require("timeline.timecode")

local M = {
  name = "edl", extension = "edl", content_type = "text/plain; charset=utf-8",
  description = "CMX 3600 EDL (one video track)",
  editors = { "DaVinci Resolve", "Premiere Pro", "Avid Media Composer", "Final Cut Pro 7" },
  options = schema.object({
    drop_frame = schema.boolean({ default = false, description = "Drop-frame timecode (29.97 and 59.94 only)" }),
    record_start = schema.string({ default = "01:00:00:00", pattern = "^%d%d:%d%d:%d%d[:;]%d%d$" }),
  }),
}

local function reel_of(media)
  local id = media.name:match("^([%w]+)") or "AX"
  return id:upper():sub(1, 8)
end

-- EDL text is ASCII: names keep their letters, anything else becomes "_".
local function ascii(s) return (tostring(s):gsub("[\192-\255][\128-\191]*", "_"):gsub("[^\32-\126]", "_")) end

function M.export(tl, opts)
  local rate = tl.rate
  local drop = opts.drop_frame and rate.drop_capable or false
  local rec0 = tc.from_timecode(opts.record_start, rate, drop)
  local t = function(frames) return tc.to_timecode(frames, rate, drop) end
  local out = { "TITLE: " .. ascii(tl.project.name):sub(1, 70), "FCM: " .. (drop and "DROP FRAME" or "NON-DROP FRAME"), "" }
  local n, marked = 0, {}
  for _, it in ipairs(tl.items) do
    n = n + 1
    local reel, src_in = "BL", 0
    if it.kind == "clip" then reel, src_in = reel_of(it.media), it.source_in end
    out[#out + 1] = ("%03d  %-8s V     C        %s %s %s %s"):format(n % 1000, reel, t(src_in), t(src_in + it.duration),
      t(rec0 + it.start), t(rec0 + it.start + it.duration))
    if it.kind == "clip" then
      out[#out + 1] = "* FROM CLIP NAME: " .. ascii(it.clip.name)
      out[#out + 1] = "* SOURCE FILE: " .. ascii(tl.relative_media and ("media/" .. it.media.name) or it.media.path)
      out[#out + 1] = "* COMMENT: moonreel:clip:" .. it.clip.id
    end
    if not marked[it.scene.index] then
      marked[it.scene.index] = true
      out[#out + 1] = ("* LOC: %s BLUE    Scene %d: %s"):format(t(rec0 + it.start), it.scene.index, ascii(it.scene.name))
    end
    out[#out + 1] = ""
  end
  return table.concat(out, "\n")
end

return M
