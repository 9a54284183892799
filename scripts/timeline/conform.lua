-- timeline/conform.lua — an edited timeline (OTIO or FCPXML) back into the project: re-order and re-time.
--
-- Clips are matched by the moonreel clip id every export writes (OTIO
-- metadata.moonreel.clip_id, FCPXML <note>moonreel:clip:ID</note>). Each
-- matched clip takes its new length and its new place: scenes keep their
-- clips and are re-ordered by where their first clip now sits; within a
-- scene, a clip's timeline_position is its distance from the scene's first
-- clip in the edit (so space before a scene's first clip is not kept). Clips
-- the edit dropped are reported as removed (not deleted); items the edit added
-- without a moonreel id are reported as added (not created). A file that does
-- not parse, or matches no clip of the project, changes nothing (400).
local db = require("moonreel.db")
local errors = require("moonreel.errors")
local json = require("moonreel.json")
local xml_read = require("timeline.xml_read")
local common = require("services.common")
local projects = require("repositories.projects")
local scenes_repo = require("repositories.scenes")
local clips_repo = require("repositories.clips")

local M = {}

local function bad(message) errors.raise(400, "INVALID_TIMELINE", message) end

local function from_otio(text)
  local ok, doc = pcall(json.decode, text)
  if not ok or type(doc) ~= "table" or doc.OTIO_SCHEMA == nil then bad("not an OpenTimelineIO file") end
  local track
  for _, t in ipairs(doc.tracks and doc.tracks.children or {}) do
    if type(t) == "table" and t.kind == "Video" then track = t; break end
  end
  if not track then bad("the OTIO timeline has no video track") end
  local items, pos = {}, 0
  for _, c in ipairs(track.children or {}) do
    local sr = type(c) == "table" and c.source_range
    local d = sr and sr.duration
    if type(d) ~= "table" or type(d.value) ~= "number" or type(d.rate) ~= "number" or d.rate <= 0 then
      bad("an item of the video track has no source_range duration")
    end
    local dur = d.value / d.rate
    if tostring(c.OTIO_SCHEMA):match("^Clip%.") then
      local meta = type(c.metadata) == "table" and type(c.metadata.moonreel) == "table" and c.metadata.moonreel or {}
      items[#items + 1] = { clip_id = type(meta.clip_id) == "string" and meta.clip_id or nil, name = c.name,
                            start_s = pos, duration_s = dur }
    end
    pos = pos + dur
  end
  return items
end

local function seconds(v)
  local n, d = tostring(v or ""):match("^(%d+)/(%d+)s$")
  if n then return tonumber(n) / tonumber(d) end
  local whole = tostring(v or ""):match("^([%d%.]+)s$")
  if whole then return tonumber(whole) end
  bad("bad FCPXML time '" .. tostring(v) .. "'")
end

local function from_fcpxml(text)
  local root, err = xml_read.parse(text)
  if not root or root.tag ~= "fcpxml" then bad("not an FCPXML file" .. (err and (": " .. err) or "")) end
  local spine = xml_read.find(root, "spine")
  if not spine then bad("the FCPXML has no spine") end
  local items = {}
  for _, el in ipairs(spine.children) do
    if el.tag ~= "gap" and el.tag ~= "transition" then
      local id
      for _, c in ipairs(el.children) do
        if c.tag == "note" then id = (c.text or ""):match("moonreel:clip:([%w_-]+)") end
      end
      items[#items + 1] = { clip_id = id, name = el.attrs.name, start_s = seconds(el.attrs.offset),
                            duration_s = seconds(el.attrs.duration) }
    end
  end
  return items
end

-- The edit's clips in record order; `kind` is "otio" or "fcpxml" (by name or content when nil).
function M.read(text, filename)
  local head = text:sub(1, 200)
  if (filename and filename:lower():match("%.fcpxml$")) or head:find("<fcpxml", 1, true) then
    return from_fcpxml(text)
  end
  return from_otio(text)
end

local function round6(x) return math.floor(x * 1e6 + 0.5) / 1e6 end

function M.apply(project_id, items)
  common.found(projects:find(project_id), "Project", project_id)
  local scene_list = {}
  for _, s in ipairs(scenes_repo:list({ where = { project_id = project_id } })) do
    if not s.is_alternate then scene_list[#scene_list + 1] = s end
  end
  local clip_scene, project_clips = {}, {}
  for _, s in ipairs(scene_list) do
    for _, c in ipairs(clips_repo:list({ where = { scene_id = s.id } })) do
      if not c.is_alternate then
        clip_scene[c.id] = s
        project_clips[#project_clips + 1] = c
      end
    end
  end
  local matched, added, seen = {}, json.array(), {}
  for _, it in ipairs(items) do
    if it.clip_id and clip_scene[it.clip_id] and not seen[it.clip_id] then
      seen[it.clip_id] = true
      matched[#matched + 1] = it
    else
      added[#added + 1] = { name = it.name or json.null, start_s = round6(it.start_s), duration_s = round6(it.duration_s) }
    end
  end
  if #matched == 0 then bad("the edit matches no clip of this project (exports carry each clip's id)") end
  local scene_start = {}
  for _, it in ipairs(matched) do
    local sid = clip_scene[it.clip_id].id
    scene_start[sid] = math.min(scene_start[sid] or math.huge, it.start_s)
  end
  -- Scenes in their new order; scenes the edit does not touch keep their order after them.
  local order = {}
  for i, s in ipairs(scene_list) do order[i] = { scene = s, at = scene_start[s.id] or math.huge, was = i } end
  table.sort(order, function(a, b) if a.at ~= b.at then return a.at < b.at end return a.was < b.was end)
  local changed = json.array()
  db.tx(function()
    for i, o in ipairs(order) do
      if o.scene.order ~= i - 1 then scenes_repo:update(o.scene.id, { order = i - 1 }) end
    end
    for _, it in ipairs(matched) do
      local s = clip_scene[it.clip_id]
      local pos, len = round6(it.start_s - scene_start[s.id]), round6(it.duration_s)
      local before = clips_repo:find(it.clip_id)
      if before.timeline_position ~= pos or before.length ~= len then
        clips_repo:update(it.clip_id, { timeline_position = pos, length = len })
        changed[#changed + 1] = { clip_id = it.clip_id, name = before.name,
                                  before = { timeline_position = before.timeline_position, length = before.length },
                                  after = { timeline_position = pos, length = len } }
      end
    end
  end)
  local removed = json.array()
  for _, c in ipairs(project_clips) do
    if not seen[c.id] then removed[#removed + 1] = { clip_id = c.id, name = c.name } end
  end
  local scene_ids = json.array()
  for i, o in ipairs(order) do scene_ids[i] = o.scene.id end
  return { matched = #matched, changed = changed, removed = removed, added = added, scene_order = scene_ids }
end

return M
