-- exporters/resolve.lua — a DaVinci Resolve bundle: the same timeline as FCPXML 1.10, Premiere XML,
-- OTIO and EDL, the media under media/ (relative paths), and the animatic when asked for.
local schema = require("moonreel.schema")
local bundle = require("timeline.bundle")

return {
  name = "resolve", extension = "zip", content_type = "application/zip", bundle = true,
  description = "DaVinci Resolve bundle: FCPXML 1.10 + Premiere XML + OTIO + EDL + media (+ animatic)",
  editors = { "DaVinci Resolve 18.5+ (File > Import > Timeline)" },
  options = schema.object({
    animatic = schema.boolean({ default = false, description = "Render and include animatic.mp4" }),
  }),
  entries = function(tl, opts, ctx)
    tl.relative_media = true
    local base = (tostring(tl.project.name):gsub("[^%w%-_ ]", ""):gsub("^%s*$", "timeline"))
    local function text(format, o) return require("exporters." .. format).export(tl, o or {}) end
    local entries = {
      { name = base .. ".fcpxml", data = text("fcpxml", { version = "1.10", width = 1920, height = 1080 }) },
      { name = base .. ".xml", data = text("xmeml", { width = 1920, height = 1080 }) },
      { name = base .. ".otio", data = text("otio") },
      { name = base .. ".edl", data = text("edl", { drop_frame = false, record_start = "01:00:00:00" }) },
    }
    for _, e in ipairs(bundle.media_entries(tl)) do entries[#entries + 1] = e end
    if opts.animatic then
      local path = require("timeline.animatic").render(tl, { width = 1280, height = 720, music = true },
                                                      ctx and ctx.scoped(10, 90))
      entries[#entries + 1] = { name = "animatic.mp4", path = path, remove_after = true }
    end
    return entries
  end,
}
