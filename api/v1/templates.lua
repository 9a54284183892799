-- api/v1/templates.lua — /api/v1/templates: style templates and applying them.
local router = require("moonreel.router")
local S = require("schemas.storyboard")
local templates = require("services.templates")

local r = router.new({ prefix = "/api/v1/templates" })
local tags = { "templates" }

r:post("/", { summary = "Create a style template", tags = tags, body = S.template_create, status = 201 }, function(req, res)
  res:status(201)
  return templates.create(req.data)
end)

r:get("/", { summary = "List style templates", tags = tags, query = S.pagination }, function(req)
  return templates.list(req.args.limit, req.args.offset)
end)

r:get("/{id}", { summary = "Get a style template", tags = tags }, function(req)
  return templates.get(req.params.id)
end)

r:put("/{id}", { summary = "Update a style template", tags = tags, body = S.template_update }, function(req)
  return templates.update(req.params.id, req.data)
end)

r:delete("/{id}", { summary = "Delete a style template", tags = tags }, function(req)
  return templates.delete(req.params.id)
end)

r:post("/{id}/apply", { summary = "Fold the template's prompt parts into the clips of a scene or project",
                        tags = tags, body = S.template_apply }, function(req)
  return templates.apply(req.params.id, req.data)
end)

return r
