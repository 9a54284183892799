-- exporters/otioz.lua — the OpenTimelineIO zip bundle: content.otio, version.txt and media/.
local json = require("moonreel.json")
local otio = require("exporters.otio")
local bundle = require("timeline.bundle")

return {
  name = "otioz", extension = "otioz", content_type = "application/zip", bundle = true,
  description = "OpenTimelineIO zip bundle (.otioz) with the media",
  editors = { "OpenTimelineIO tools (otioconvert, otioview)", "DaVinci Resolve 18+" },
  -- Bundles return zip entries; the export job writes and stores the archive.
  entries = function(tl)
    tl.relative_media = true
    local entries = { { name = "content.otio", data = json.encode(otio.build(tl), { pretty = true }) .. "\n" },
                      { name = "version.txt", data = "1.0.0\n" } }
    for _, e in ipairs(bundle.media_entries(tl)) do entries[#entries + 1] = e end
    return entries
  end,
}
