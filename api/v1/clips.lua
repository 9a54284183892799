-- api/v1/clips.lua — /api/v1/clips: clips, timeline placement, alternates, gallery.
local router = require("moonreel.router")
local S = require("schemas.storyboard")
local clips = require("services.clips")

local r = router.new({ prefix = "/api/v1/clips" })
local tags = { "clips" }

r:post("/", { summary = "Create a clip", tags = tags, body = S.clip_create, status = 201 }, function(req, res)
  res:status(201)
  return clips.create(req.data)
end)

r:get("/scene/{scene_id}", { summary = "Clips of a scene, in timeline order", tags = tags }, function(req)
  return clips.list_by_scene(req.params.scene_id)
end)

r:get("/{id}", { summary = "Get a clip", tags = tags }, function(req)
  return clips.get(req.params.id)
end)

r:put("/{id}", { summary = "Update a clip", tags = tags, body = S.clip_update }, function(req)
  return clips.update(req.params.id, req.data)
end)

r:delete("/{id}", { summary = "Delete a clip and its alternates", tags = tags }, function(req)
  return clips.delete(req.params.id)
end)

r:put("/{id}/timeline", { summary = "Place a clip on the timeline", tags = tags, body = S.clip_timeline }, function(req)
  return clips.set_timeline(req.params.id, req.data)
end)

r:post("/{id}/alternates", { summary = "Create an alternate of a clip", tags = tags, body = S.alternate_create,
                             status = 201 }, function(req, res)
  res:status(201)
  return clips.create_alternate(req.params.id, req.data)
end)

r:get("/{id}/gallery", { summary = "Generated images and videos of a clip", tags = tags }, function(req)
  return clips.gallery(req.params.id)
end)

return r
