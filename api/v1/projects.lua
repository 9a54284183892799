-- api/v1/projects.lua — /api/v1/projects: CRUD, the scene tree, duplication.
local router = require("moonreel.router")
local S = require("schemas.storyboard")
local projects = require("services.projects")

local r = router.new({ prefix = "/api/v1/projects" })
local tags = { "projects" }

r:get("/", { summary = "List projects", tags = tags, query = S.pagination }, function(req)
  return projects.list(req.args.limit, req.args.offset)
end)

r:post("/", { summary = "Create a project", tags = tags, body = S.project_create, status = 201 }, function(req, res)
  res:status(201)
  return projects.create(req.data)
end)

r:get("/{id}", { summary = "Get a project", tags = tags }, function(req)
  return projects.get(req.params.id)
end)

r:get("/{id}/with-scenes", { summary = "A project with its scenes in order, each with its clips in timeline order",
                             tags = tags }, function(req)
  return projects.with_scenes(req.params.id)
end)

r:put("/{id}", { summary = "Update a project", tags = tags, body = S.project_update }, function(req)
  return projects.update(req.params.id, req.data)
end)

r:delete("/{id}", { summary = "Delete a project with its scenes, clips and characters", tags = tags }, function(req)
  return projects.delete(req.params.id)
end)

r:post("/{id}/duplicate", { summary = "Deep copy with new ids", tags = tags, status = 201 }, function(req, res)
  res:status(201)
  return projects.duplicate(req.params.id, req.json and req.json.name or nil)
end)

return r
