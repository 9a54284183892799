-- services/clips.lua — clips of a scene, their timeline placement, alternates and gallery.
local json = require("moonreel.json")
local db = require("moonreel.db")
local common = require("services.common")
local crud = require("services.crud")
local scenes = require("repositories.scenes")
local clips = require("repositories.clips")
local characters = require("repositories.characters")

local M = crud.service(clips, "Clip")

-- selected_image / selected_video must name a stored file of that kind (an upload or a generation).
local function check_selected(body)
  for field, kind in pairs({ selected_image = "image", selected_video = "video" }) do
    local url = body[field]
    if url ~= nil and url ~= json.null then
      local side = require("moonreel.store").sidecar(url)
      if side == nil or side.kind ~= kind then
        require("moonreel.errors").validation("request body is invalid", { fields = json.array({
          { field = field, issue = ("must be a stored %s (/files/...)"):format(kind) } }) })
      end
      body[field] = side.url
    end
  end
end

function M.create(body)
  common.reference("scene_id", scenes, body.scene_id, "scene")
  common.reference("character_id", characters, body.character_id, "character")
  check_selected(body)
  return clips:insert(body)
end

function M.list_by_scene(scene_id)
  common.found(scenes:find(scene_id), "Scene", scene_id)
  local items, total = clips:list({ where = { scene_id = scene_id } })
  return common.page(items, total, total, 0)
end

function M.update(id, body)
  M.get(id)
  common.reference("character_id", characters, body.character_id, "character")
  check_selected(body)
  return clips:update(id, body)
end

function M.set_timeline(id, body)
  M.get(id)
  return clips:update(id, { timeline_position = body.timeline_position, length = body.length })
end

local COPIED = { "scene_id", "name", "lyrics", "image_prompt", "video_prompt", "timeline_position", "length",
                 "character_id" }

function M.create_alternate(id, body)
  local clip = M.get(id)
  local original_id = clip.parent_clip_id ~= json.null and clip.parent_clip_id or clip.id
  local original = M.get(original_id)
  return db.tx(function()
    local fields = {}
    for _, k in ipairs(COPIED) do
      if original[k] ~= json.null then fields[k] = original[k] end
    end
    if body.name then fields.name = body.name end
    local last = clips:max("alternate_number", "parent_clip_id", original_id) or 0
    fields.parent_clip_id = original_id
    fields.alternate_number = last + 1
    fields.is_alternate = true
    return clips:insert(fields)
  end)
end

function M.gallery(id)
  local clip = M.get(id)
  return {
    generated_images = clip.generated_images,
    generated_videos = clip.generated_videos,
    selected_image = clip.selected_image,
    selected_video = clip.selected_video,
  }
end

return M
