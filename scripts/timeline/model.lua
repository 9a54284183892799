-- timeline/model.lua — a project as one frame-exact timeline, the input of every exporter.
--
-- Contract: build(project_id, {fps, scene_id}) returns
--   { project, rate, fps, duration (frames), scenes = { {id, name, index, start, duration} },
--     items = { {kind = "clip" | "gap", start, duration, source_in, scene, clip, media, index} } }
-- Scenes are the project's main scenes in order (alternates left out), each
-- scene's main clips at their timeline_position (seconds from the scene's
-- start) for their length. Every cut is rounded to a frame once, from the
-- cumulative position in seconds, so rounding never drifts; a scene lasts
-- until its last clip ends. Space before a clip is a gap item; a clip that
-- starts before the previous one ends is cut to start there (one video track).
-- A clip's media is its selected video, else its selected image, else a
-- slate (a PNG card with scene, clip, number and prompt, rendered once per
-- clip content and kept in the store), so the timeline never has a hole.
-- media = { kind = "video" | "image" | "slate", url, path (absolute file),
--           name (file name), width, height, frames (video length, nil for stills) }.
local json = require("moonreel.json")
local store = require("moonreel.store")
local tc = require("timeline.timecode")
local common = require("services.common")
local projects = require("repositories.projects")
local scenes_repo = require("repositories.scenes")
local clips_repo = require("repositories.clips")

local M = {}

local function present(v) return v ~= nil and v ~= json.null and v ~= "" end

local function file_name(path) return path:match("([^/]+)$") end

local function media_of(clip, scene, number, rate)
  for _, m in ipairs({ { "selected_video", "video" }, { "selected_image", "image" } }) do
    local url = clip[m[1]]
    if present(url) then
      local side = store.sidecar(url)
      if side then
        local path = store.file_path(side.url)
        local media = { kind = m[2], url = side.url, path = path, name = file_name(path), width = side.width,
                        height = side.height }
        if m[2] == "video" then
          local ok, info = pcall(require("moonreel.video").probe, path)
          if ok then
            media.width, media.height = info.width, info.height
            media.frames = tc.frames_at(info.duration, rate)
          end
        end
        return media
      end
    end
  end
  local slate = require("timeline.slate").for_clip(clip, scene, number)
  return { kind = "slate", url = slate.url, path = store.file_path(slate.url), name = file_name(slate.path),
           width = slate.width, height = slate.height }
end

function M.build(project_id, opts)
  opts = opts or {}
  local project = common.found(projects:find(project_id), "Project", project_id)
  local rate = tc.rate(opts.fps or "24")
  if not rate then
    require("moonreel.errors").validation("unsupported frame rate", { fields = json.array({
      { field = "fps", issue = "one of " .. table.concat(tc.NAMES, ", ") } }) })
  end
  local scene_rows = scenes_repo:list({ where = { project_id = project_id } })
  local tl = { project = project, rate = rate, fps = rate.name, scenes = {}, items = {} }
  local offset_s = 0   -- where the current scene starts, in seconds (cumulative: never rounded)
  local cursor = 0     -- the end of the last placed item, in frames
  local number = 0
  for _, scene in ipairs(scene_rows) do
    if not scene.is_alternate and (opts.scene_id == nil or opts.scene_id == scene.id) then
      local clips = {}
      for _, c in ipairs(clips_repo:list({ where = { scene_id = scene.id } })) do
        if not c.is_alternate then clips[#clips + 1] = c end
      end
      local scene_end_s = 0
      local entry = { id = scene.id, name = scene.name, index = #tl.scenes + 1, start = cursor }
      for _, clip in ipairs(clips) do
        local a = tc.frames_at(offset_s + clip.timeline_position, rate)
        local b = tc.frames_at(offset_s + clip.timeline_position + clip.length, rate)
        a = math.max(a, cursor)
        if b > a then
          if a > cursor then
            tl.items[#tl.items + 1] = { kind = "gap", start = cursor, duration = a - cursor, scene = entry }
          end
          number = number + 1
          tl.items[#tl.items + 1] = { kind = "clip", start = a, duration = b - a, source_in = 0, scene = entry,
                                      clip = clip, index = number, media = media_of(clip, scene, number, rate) }
          cursor = b
        end
        scene_end_s = math.max(scene_end_s, clip.timeline_position + clip.length)
      end
      offset_s = offset_s + scene_end_s
      local scene_end = tc.frames_at(offset_s, rate)
      if scene_end > cursor then  -- trailing space in a scene is part of it
        tl.items[#tl.items + 1] = { kind = "gap", start = cursor, duration = scene_end - cursor, scene = entry }
        cursor = scene_end
      end
      entry.duration = cursor - entry.start
      tl.scenes[#tl.scenes + 1] = entry
    end
  end
  tl.duration = cursor
  return tl
end

-- How a format names a media file: a file:// URL of the stored file, or, in a
-- bundle (tl.relative_media = true), the relative "media/<name>" it is packed at.
function M.media_ref(tl, media)
  local xml = require("timeline.xml")
  if tl.relative_media then
    return "media/" .. media.name:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end)
  end
  return xml.file_url(media.path)
end

-- Clips only, in order (what most formats list).
function M.clips(tl)
  local out = {}
  for _, it in ipairs(tl.items) do
    if it.kind == "clip" then out[#out + 1] = it end
  end
  return out
end

-- Distinct media files in first-use order, each with an id ("r1", "r2" ...) formats can reference.
function M.assets(tl)
  local list, by_url = {}, {}
  for _, it in ipairs(M.clips(tl)) do
    local m = it.media
    if not by_url[m.url] then
      by_url[m.url] = { id = "r" .. (#list + 2), media = m }  -- r1 is the format in FCPXML
      list[#list + 1] = by_url[m.url]
    end
    it.asset = by_url[m.url]
  end
  return list
end

return M
