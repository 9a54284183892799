-- api/media_board.lua — POST /api/media/upload: an image or video becomes a card with a thumbnail.
local router = require("moonreel.router")
local json = require("moonreel.json")
local uploads = require("services.uploads")
local sheets = require("services.sheets")
local cards = require("services.cards")

local r = router.new({ prefix = "/api/media" })

r:post("/upload", {
  summary = "Upload an image or video to a sheet (type decided by its bytes)", tags = { "media board" }, status = 201,
  multipart = { file = { required = true, description = "JPEG, PNG, WebP, GIF image or MP4 / MOV video" },
                sheet_id = { description = "Sheet for the card; default: the default sheet" } },
}, function(req, res)
  local form = req.form or {}
  local sheet
  if form.sheet_id and form.sheet_id ~= "" then
    sheet = sheets.get(form.sheet_id)  -- 404 before anything is stored
  else
    sheet = sheets.default()
  end
  local m = uploads.ingest(req.files and req.files.file)
  local card = cards.create(sheet.id, {
    title = form.title or (req.files.file.filename or ""), media_type = m.media_type, media_url = m.media_url,
    thumb_url = m.thumb_url, width = m.width, height = m.height, duration = m.duration,
  })
  res:status(201)
  return { card_id = card.id, sheet_id = sheet.id, media_url = m.media_url, thumb_url = m.thumb_url,
           media_type = m.media_type, width = m.width or json.null, height = m.height or json.null,
           duration = m.duration or json.null }
end)

return r
