-- schemas/board.lua — request bodies of the media board (sheets and cards).
local schema = require("moonreel.schema")

local S = {}

S.sheet_create = schema.object({
  name = schema.string({ required = true, min_length = 1, max_length = 200 }),
  description = schema.string({ nullable = true, max_length = 5000 }),
  columns = schema.integer({ min = 1, max = 24, default = 4, description = "Grid width in cards" }),
})
S.sheet_update = schema.partial(S.sheet_create)

local card_fields = {
  title = schema.string({ max_length = 500 }),
  note = schema.string({ max_length = 20000 }),
  media_url = schema.string({ nullable = true, max_length = 1000, description = "A stored /files/ URL" }),
  metadata = schema.object({}, { additional = true, description = "Free-form JSON kept with the card" }),
}
S.card_create = schema.object({
  title = card_fields.title, note = card_fields.note, media_url = card_fields.media_url,
  metadata = card_fields.metadata,
  position = schema.integer({ min = 0, description = "Grid index; default: after the last card" }),
})
S.card_update = schema.object(card_fields)
S.card_move = schema.object({
  position = schema.integer({ required = true, min = 0, description = "New grid index (clamped to the end)" }),
})
S.batch = schema.object({
  sheet_id = schema.string({ required = true, max_length = 64 }),
  operations = schema.array(schema.object({
    op = schema.enum({ "create", "update", "delete", "move" }, { required = true }),
    id = schema.string({ max_length = 64, description = "The card (update, delete, move)" }),
    card = S.card_create,
    changes = S.card_update,
    position = schema.integer({ min = 0 }),
  }), { required = true, min_items = 1, max_items = 500 }),
})
S.cards_query = schema.object({
  include_deleted = schema.boolean({ default = false }),
})
S.pagination = schema.object({
  limit = schema.integer({ min = 1, max = 500, default = 50 }),
  offset = schema.integer({ min = 0, default = 0 }),
})

return S
