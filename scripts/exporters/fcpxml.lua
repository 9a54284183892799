-- exporters/fcpxml.lua — Final Cut Pro XML 1.8–1.11 (1.10 by default: what DaVinci Resolve 18.5+ imports).
--
-- Times are exact rationals on frame boundaries ("1001/24000s" steps at
-- 23.976). Stills are assets with duration 0s on a rate-less format, placed
-- with <video> as FCP writes them; videos are <asset-clip>s with their
-- in-point; space is <gap>; each scene starts with a marker on its first
-- item; each clip carries "moonreel:clip:<id>" in its note. Media are file://
-- URLs, percent-encoded, in <media-rep> (1.9+) or the asset's src (1.8).
local schema = require("moonreel.schema")
local tc = require("timeline.timecode")
local model = require("timeline.model")
local xml = require("timeline.xml")

local M = {
  name = "fcpxml", extension = "fcpxml", content_type = "application/xml; charset=utf-8",
  description = "Final Cut Pro XML (FCPXML) 1.8–1.11",
  editors = { "Final Cut Pro 10.4+", "DaVinci Resolve 18.5+ (1.10)", "Premiere Pro (via XtoCC)" },
  options = schema.object({
    version = schema.enum({ "1.8", "1.9", "1.10", "1.11" }, { default = "1.10" }),
    width = schema.integer({ default = 1920, between = { 16, 8192 } }),
    height = schema.integer({ default = 1080, between = { 16, 8192 } }),
  }),
}

local function format_name(rate, h)
  local names = { ["23.976"] = "2398", ["24"] = "24", ["25"] = "25", ["29.97"] = "2997", ["30"] = "30",
                  ["50"] = "50", ["59.94"] = "5994", ["60"] = "60" }
  return ("FFVideoFormat%dp%s"):format(h, names[rate.name] or "24")
end

function M.export(tl, opts)
  local rate, version = tl.rate, opts.version
  local t = function(frames) return tc.rational(frames, rate) end
  local assets = model.assets(tl)
  local out = { '<?xml version="1.0" encoding="UTF-8"?>', "<!DOCTYPE fcpxml>", ('<fcpxml version="%s">'):format(version),
                "  <resources>" }
  out[#out + 1] = ("    <format%s/>"):format(xml.attrs({ { "id", "r1" }, { "name", format_name(rate, opts.height) },
    { "frameDuration", tc.rational(1, rate) }, { "width", opts.width }, { "height", opts.height } }))
  local still_formats = {}
  for _, a in ipairs(assets) do
    local m = a.media
    local fmt = "r1"
    if m.kind ~= "video" then  -- stills: a rate-less format of their own size
      local key = ("%dx%d"):format(m.width or opts.width, m.height or opts.height)
      if not still_formats[key] then
        still_formats[key] = "f" .. key
        out[#out + 1] = ("    <format%s/>"):format(xml.attrs({ { "id", still_formats[key] },
          { "name", "FFVideoFormatRateUndefined" }, { "width", m.width or opts.width }, { "height", m.height or opts.height } }))
      end
      fmt = still_formats[key]
    end
    local src = model.media_ref(tl, m)
    local attrs = xml.attrs({ { "id", a.id }, { "name", m.name }, { "start", "0s" },
      { "duration", m.kind == "video" and t(m.frames or 0) or "0s" }, { "hasVideo", "1" }, { "format", fmt },
      { "videoSources", version ~= "1.8" and "1" or nil }, { "src", version == "1.8" and src or nil } })
    if version == "1.8" then
      out[#out + 1] = ("    <asset%s/>"):format(attrs)
    else
      out[#out + 1] = ("    <asset%s>"):format(attrs)
      out[#out + 1] = ('      <media-rep kind="original-media"%s/>'):format(xml.attrs({ { "src", src } }))
      out[#out + 1] = "    </asset>"
    end
  end
  out[#out + 1] = "  </resources>"
  out[#out + 1] = "  <library>"
  out[#out + 1] = ("    <event%s>"):format(xml.attrs({ { "name", tl.project.name } }))
  out[#out + 1] = ("      <project%s>"):format(xml.attrs({ { "name", tl.project.name } }))
  out[#out + 1] = ("        <sequence%s>"):format(xml.attrs({ { "format", "r1" }, { "duration", t(tl.duration) },
    { "tcStart", "0s" }, { "tcFormat", "NDF" } }))
  out[#out + 1] = "          <spine>"
  local marked = {}
  for _, it in ipairs(tl.items) do
    local marker
    if not marked[it.scene.index] then
      marked[it.scene.index] = true
      marker = ("              <marker%s/>"):format(xml.attrs({ { "start", t(it.source_in or 0) },
        { "duration", tc.rational(1, rate) }, { "value", ("Scene %d: %s"):format(it.scene.index, it.scene.name) } }))
    end
    local common = { { "offset", t(it.start) }, { "duration", t(it.duration) } }
    if it.kind == "gap" then
      local a = xml.attrs({ { "name", "Gap" }, common[1], common[2], { "start", "0s" } })
      if marker then
        out[#out + 1] = ("            <gap%s>"):format(a)
        out[#out + 1] = marker
        out[#out + 1] = "            </gap>"
      else
        out[#out + 1] = ("            <gap%s/>"):format(a)
      end
    else
      local tag = it.media.kind == "video" and "asset-clip" or "video"
      out[#out + 1] = ("            <%s%s>"):format(tag, xml.attrs({ { "ref", it.asset.id }, common[1],
        { "name", it.clip.name }, { "start", t(it.source_in) }, common[2] }))
      out[#out + 1] = ("              <note>moonreel:clip:%s</note>"):format(xml.esc(it.clip.id))
      if marker then out[#out + 1] = marker end
      out[#out + 1] = ("            </%s>"):format(tag)
    end
  end
  out[#out + 1] = "          </spine>"
  out[#out + 1] = "        </sequence>"
  out[#out + 1] = "      </project>"
  out[#out + 1] = "    </event>"
  out[#out + 1] = "  </library>"
  out[#out + 1] = "</fcpxml>"
  return table.concat(out, "\n") .. "\n"
end

return M
