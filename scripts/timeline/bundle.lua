-- timeline/bundle.lua — zip bundles of a timeline: the media packed beside the timeline files.
--
-- media_entries(tl) → zip entries "media/<name>" for every distinct file the
-- timeline uses; formats built with tl.relative_media = true point at them,
-- so an unpacked bundle is self-contained wherever it lands.
local model = require("timeline.model")

local M = {}

function M.media_entries(tl)
  local out = {}
  for _, a in ipairs(model.assets(tl)) do
    out[#out + 1] = { name = "media/" .. a.media.name, path = a.media.path }
  end
  return out
end

return M
