-- api/v1/characters.lua — /api/v1/characters.
local router = require("moonreel.router")
local S = require("schemas.storyboard")
local characters = require("services.characters")
local media = require("services.media")
local errors = require("moonreel.errors")

local r = router.new({ prefix = "/api/v1/characters" })
local tags = { "characters" }

r:post("/", { summary = "Create a character", tags = tags, body = S.character_create, status = 201 }, function(req, res)
  res:status(201)
  return characters.create(req.data)
end)

r:get("/", { summary = "List characters (optionally of one project)", tags = tags, query = S.pagination }, function(req)
  return characters.list(req.args.project_id, req.args.limit, req.args.offset)
end)

r:get("/{id}", { summary = "Get a character", tags = tags }, function(req)
  return characters.get(req.params.id)
end)

r:put("/{id}", { summary = "Update a character", tags = tags, body = S.character_update }, function(req)
  return characters.update(req.params.id, req.data)
end)

r:delete("/{id}", { summary = "Delete a character", tags = tags }, function(req)
  return characters.delete(req.params.id)
end)

r:post("/{id}/reference-images", {
  summary = "Upload reference images (multipart, one or more 'file' fields)", tags = tags, status = 201,
  multipart = { file = { required = true, description = "PNG, JPEG, WebP or GIF; repeat the field for several" } },
}, function(req, res)
  characters.get(req.params.id)
  local uploads = req.uploads or {}
  if #uploads == 0 then
    errors.validation("at least one image is required (multipart field 'file')",
                      { fields = { { field = "file", issue = "required" } } })
  end
  -- Check every file before storing any, so a bad one changes nothing.
  for _, u in ipairs(uploads) do
    local t = media.sniff(u.data)
    if u.size > media.max_image_bytes() then errors.too_large("'" .. u.filename .. "' is too large") end
    if t == nil or t.kind ~= "image" then errors.unsupported_media("'" .. u.filename .. "' is not an image") end
  end
  local urls = {}
  for _, u in ipairs(uploads) do
    urls[#urls + 1] = media.store_upload(u, "image", media.max_image_bytes(), { character_id = req.params.id }).url
  end
  res:status(201)
  return characters.add_reference_images(req.params.id, urls)
end)

return r
