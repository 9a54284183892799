-- repositories/cards.lua — the cards table (see repositories/base.lua).
local base = require("repositories.base")

return base.new({
  table = "cards",
  columns = { "sheet_id", "position", "title", "note", "media_type", "media_url", "thumb_url", "width", "height",
              "duration", "metadata", "deleted_at" },
  json_columns = { metadata = "object" },
  order_by = '"position", "created_at", "id"',
})
