-- services/projects.lua — projects, their scene/clip tree, and deep duplication.
local db = require("moonreel.db")
local json = require("moonreel.json")
local common = require("services.common")
local crud = require("services.crud")
local projects = require("repositories.projects")
local scenes = require("repositories.scenes")
local clips = require("repositories.clips")
local characters = require("repositories.characters")

local M = crud.service(projects, "Project")

function M.list(limit, offset)
  local items, total = projects:list({ limit = limit, offset = offset })
  return common.page(items, total, limit, offset)
end

-- delete (from crud) takes scenes, characters and clips along (ON DELETE CASCADE).
function M.create(body) return projects:insert(body) end

-- The project with its scenes in order, each with its clips in timeline order.
function M.with_scenes(id)
  local project = M.get(id)
  local scene_list = scenes:list({ where = { project_id = id } })
  for _, scene in ipairs(scene_list) do
    scene.clips = clips:list({ where = { scene_id = scene.id } })
  end
  project.scenes = scene_list
  return project
end

-- Originals before alternates, so a copy's parent id is always mapped first.
local function parents_first(list, parent_field)
  local out = {}
  for _, e in ipairs(list) do if e[parent_field] == json.null then out[#out + 1] = e end end
  for _, e in ipairs(list) do if e[parent_field] ~= json.null then out[#out + 1] = e end end
  return out
end

local function copy_fields(entity, skip)
  local out = {}
  for k, v in pairs(entity) do
    if not skip[k] and v ~= json.null then out[k] = v end
  end
  return out
end

local SKIP = { id = true, created_at = true, updated_at = true, clips = true }

-- A deep copy with new ids: project, characters, scenes (alternates kept
-- pointing at their copied originals), clips (characters and parents remapped).
function M.duplicate(id, name)
  local src = M.get(id)
  return db.tx(function()
    local fields = copy_fields(src, SKIP)
    fields.name = name or (src.name .. " (copy)")
    local copy = projects:insert(fields)
    local char_map, scene_map, clip_map = {}, {}, {}
    for _, ch in ipairs(characters:list({ where = { project_id = id } })) do
      local f = copy_fields(ch, SKIP)
      f.project_id = copy.id
      char_map[ch.id] = characters:insert(f).id
    end
    for _, sc in ipairs(parents_first(scenes:list({ where = { project_id = id } }), "parent_scene_id")) do
      local f = copy_fields(sc, SKIP)
      f.project_id = copy.id
      if sc.parent_scene_id ~= json.null then f.parent_scene_id = scene_map[sc.parent_scene_id] end
      scene_map[sc.id] = scenes:insert(f).id
      for _, cl in ipairs(parents_first(clips:list({ where = { scene_id = sc.id } }), "parent_clip_id")) do
        local cf = copy_fields(cl, SKIP)
        cf.scene_id = scene_map[sc.id]
        if cl.character_id ~= json.null then cf.character_id = char_map[cl.character_id] or cl.character_id end
        if cl.parent_clip_id ~= json.null then cf.parent_clip_id = clip_map[cl.parent_clip_id] end
        clip_map[cl.id] = clips:insert(cf).id
      end
    end
    return M.with_scenes(copy.id)
  end)
end

return M
