-- services/scenes.lua — scenes of a project, in order, and their alternates.
local json = require("moonreel.json")
local db = require("moonreel.db")
local common = require("services.common")
local crud = require("services.crud")
local projects = require("repositories.projects")
local scenes = require("repositories.scenes")

local M = crud.service(scenes, "Scene")

function M.create(body)
  common.reference("project_id", projects, body.project_id, "project")
  return db.tx(function()
    if body.order == nil then
      local last = scenes:max("order", "project_id", body.project_id)
      body.order = last and (last + 1) or 0
    end
    return scenes:insert(body)
  end)
end

function M.list_by_project(project_id)
  common.found(projects:find(project_id), "Project", project_id)
  local items, total = scenes:list({ where = { project_id = project_id } })
  return common.page(items, total, total, 0)
end

-- A new alternate of a scene: it hangs off the original (never an alternate
-- of an alternate) and takes the next alternate number.
function M.create_alternate(id, body)
  local scene = M.get(id)
  local original_id = scene.parent_scene_id ~= json.null and scene.parent_scene_id or scene.id
  local original = M.get(original_id)
  return db.tx(function()
    local last = scenes:max("alternate_number", "parent_scene_id", original_id) or 0
    return scenes:insert({
      project_id = original.project_id,
      name = body.name or original.name,
      description = body.description ~= nil and body.description or original.description,
      order = original.order,
      parent_scene_id = original_id,
      alternate_number = last + 1,
      is_alternate = true,
    })
  end)
end

return M
