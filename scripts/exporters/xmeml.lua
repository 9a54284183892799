-- exporters/xmeml.lua — Final Cut Pro 7 / Premiere Pro XML (xmeml version 4).
--
-- One sequence with the <format> element DaVinci Resolve needs, its duration,
-- timebase/ntsc pairs (23.976 = timebase 24, ntsc TRUE), one video track of
-- clipitems (space between them is left empty: xmeml has no gap item). Each
-- <file> is defined in full once and referenced by id after; each clipitem's
-- master comment holds "moonreel:clip:<id>"; scene starts are sequence markers.
local schema = require("moonreel.schema")
local model = require("timeline.model")
local tc = require("timeline.timecode")
local xml = require("timeline.xml")

local M = {
  name = "xmeml", extension = "xml", content_type = "application/xml; charset=utf-8",
  description = "Final Cut Pro 7 / Premiere Pro XML (xmeml v4)",
  editors = { "Premiere Pro", "DaVinci Resolve", "Final Cut Pro 7", "Avid (via converters)" },
  options = schema.object({
    width = schema.integer({ default = 1920, between = { 16, 8192 } }),
    height = schema.integer({ default = 1080, between = { 16, 8192 } }),
  }),
}

local function rate_xml(rate, indent)
  return ("%s<rate><timebase>%d</timebase><ntsc>%s</ntsc></rate>"):format(indent, rate.nominal,
                                                                          rate.ntsc and "TRUE" or "FALSE")
end

function M.export(tl, opts)
  local rate = tl.rate
  model.assets(tl)
  local r = function(i) return rate_xml(rate, i) end
  local out = { '<?xml version="1.0" encoding="UTF-8"?>', "<!DOCTYPE xmeml>", '<xmeml version="4">',
                '  <sequence id="sequence-1">',
                ("    <name>%s</name>"):format(xml.esc(tl.project.name)),
                ("    <duration>%d</duration>"):format(tl.duration), r("    "),
                "    <timecode>", r("      "), "      <string>00:00:00:00</string>", "      <frame>0</frame>",
                "      <displayformat>NDF</displayformat>", "    </timecode>",
                "    <media>", "      <video>", "        <format>", "          <samplecharacteristics>", r("            "),
                ("            <width>%d</width>"):format(opts.width), ("            <height>%d</height>"):format(opts.height),
                "            <pixelaspectratio>square</pixelaspectratio>",
                "            <fielddominance>none</fielddominance>", "          </samplecharacteristics>",
                "        </format>", "        <track>" }
  local defined = {}
  for _, it in ipairs(model.clips(tl)) do
    local m, fid = it.media, "file-" .. it.asset.id
    local media_frames = m.frames or it.duration
    out[#out + 1] = ('          <clipitem id="clipitem-%d">'):format(it.index)
    out[#out + 1] = ("            <name>%s</name>"):format(xml.esc(it.clip.name))
    out[#out + 1] = ("            <duration>%d</duration>"):format(media_frames)
    out[#out + 1] = r("            ")
    out[#out + 1] = ("            <start>%d</start>"):format(it.start)
    out[#out + 1] = ("            <end>%d</end>"):format(it.start + it.duration)
    out[#out + 1] = ("            <in>%d</in>"):format(it.source_in)
    out[#out + 1] = ("            <out>%d</out>"):format(it.source_in + it.duration)
    if defined[fid] then
      out[#out + 1] = ('            <file id="%s"/>'):format(fid)
    else
      defined[fid] = true
      out[#out + 1] = ('            <file id="%s">'):format(fid)
      out[#out + 1] = ("              <name>%s</name>"):format(xml.esc(m.name))
      out[#out + 1] = ("              <pathurl>%s</pathurl>"):format(xml.esc(model.media_ref(tl, m)))
      out[#out + 1] = r("              ")
      out[#out + 1] = ("              <duration>%d</duration>"):format(media_frames)
      out[#out + 1] = "              <media><video><samplecharacteristics>"
      out[#out + 1] = ("                <width>%d</width><height>%d</height>"):format(m.width or opts.width,
                                                                                  m.height or opts.height)
      out[#out + 1] = "              </samplecharacteristics></video></media>"
      out[#out + 1] = "            </file>"
    end
    out[#out + 1] = ("            <comments><mastercomment1>moonreel:clip:%s</mastercomment1></comments>"):format(
      xml.esc(it.clip.id))
    out[#out + 1] = "          </clipitem>"
  end
  out[#out + 1] = "        </track>"
  out[#out + 1] = "      </video>"
  out[#out + 1] = "    </media>"
  for _, s in ipairs(tl.scenes) do
    out[#out + 1] = ("    <marker><name>%s</name><comment></comment><in>%d</in><out>-1</out></marker>"):format(
      xml.esc(("Scene %d: %s"):format(s.index, s.name)), s.start)
  end
  out[#out + 1] = "  </sequence>"
  out[#out + 1] = "</xmeml>"
  return table.concat(out, "\n") .. "\n"
end

return M
