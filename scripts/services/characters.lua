-- services/characters.lua — characters (per project or shared) and their reference images.
local json = require("moonreel.json")
local common = require("services.common")
local crud = require("services.crud")
local projects = require("repositories.projects")
local characters = require("repositories.characters")

local M = crud.service(characters, "Character")

function M.create(body)
  common.reference("project_id", projects, body.project_id, "project")
  return characters:insert(body)
end

function M.list(project_id, limit, offset)
  local where = nil
  if project_id then where = { project_id = project_id } end
  local items, total = characters:list({ where = where, limit = limit, offset = offset })
  return common.page(items, total, limit, offset)
end

function M.update(id, body)
  M.get(id)
  common.reference("project_id", projects, body.project_id, "project")
  return characters:update(id, body)
end

function M.add_reference_images(id, urls)
  local ch = M.get(id)
  local list = json.array()
  for _, u in ipairs(ch.reference_images) do list[#list + 1] = u end
  for _, u in ipairs(urls) do list[#list + 1] = u end
  return characters:update(id, { reference_images = list })
end

return M
