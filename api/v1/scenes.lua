-- api/v1/scenes.lua — /api/v1/scenes: scenes of a project and their alternates.
local router = require("moonreel.router")
local S = require("schemas.storyboard")
local scenes = require("services.scenes")

local r = router.new({ prefix = "/api/v1/scenes" })
local tags = { "scenes" }

r:post("/", { summary = "Create a scene", tags = tags, body = S.scene_create, status = 201 }, function(req, res)
  res:status(201)
  return scenes.create(req.data)
end)

r:get("/project/{project_id}", { summary = "Scenes of a project, in order", tags = tags }, function(req)
  return scenes.list_by_project(req.params.project_id)
end)

r:get("/{id}", { summary = "Get a scene", tags = tags }, function(req)
  return scenes.get(req.params.id)
end)

r:put("/{id}", { summary = "Update a scene", tags = tags, body = S.scene_update }, function(req)
  return scenes.update(req.params.id, req.data)
end)

r:delete("/{id}", { summary = "Delete a scene with its clips and alternates", tags = tags }, function(req)
  return scenes.delete(req.params.id)
end)

r:post("/{id}/alternates", { summary = "Create an alternate of a scene", tags = tags, body = S.alternate_create,
                             status = 201 }, function(req, res)
  res:status(201)
  return scenes.create_alternate(req.params.id, req.data)
end)

return r
