-- api/v1/board.lua — /api/v1/sheets and /api/v1/cards: the media board.
local router = require("moonreel.router")
local errors = require("moonreel.errors")
local S = require("schemas.board")
local sheets = require("services.sheets")
local cards = require("services.cards")
local media = require("services.media")

local r = router.new({ prefix = "/api/v1" })
local st, ct = { "sheets" }, { "cards" }

r:post("/sheets", { summary = "Create a sheet", tags = st, body = S.sheet_create, status = 201 }, function(req, res)
  res:status(201)
  return sheets.create(req.data)
end)
r:get("/sheets", { summary = "List sheets", tags = st, query = S.pagination }, function(req)
  return sheets.list(req.args.limit, req.args.offset)
end)
r:get("/sheets/{id}", { summary = "Get a sheet", tags = st }, function(req) return sheets.get(req.params.id) end)
r:put("/sheets/{id}", { summary = "Update a sheet", tags = st, body = S.sheet_update }, function(req)
  return sheets.update(req.params.id, req.data)
end)
r:delete("/sheets/{id}", { summary = "Delete a sheet and its cards", tags = st }, function(req)
  return sheets.delete(req.params.id)
end)
r:post("/sheets/{id}/undo", { summary = "Revert the sheet's last operation", tags = st }, function(req)
  return cards.undo(req.params.id)
end)

r:get("/sheets/{id}/cards", { summary = "Cards of a sheet in grid order", tags = ct, query = S.cards_query },
  function(req) return cards.list(req.params.id, req.args.include_deleted) end)

r:post("/sheets/{id}/cards", { summary = "Create a card", tags = ct, body = S.card_create, status = 201 },
  function(req, res)
    local body = req.data
    if body.media_url and body.media_url ~= require("moonreel.json").null then
      local m = media.describe_stored(body.media_url)
      for k, v in pairs(m) do body[k] = v end
    end
    res:status(201)
    return cards.create(req.params.id, body)
  end)

r:get("/cards/{id}", { summary = "Get a card", tags = ct }, function(req) return cards.get(req.params.id) end)
r:put("/cards/{id}", { summary = "Update a card", tags = ct, body = S.card_update }, function(req)
  return cards.update(req.params.id, req.data)
end)
r:post("/cards/{id}/move", { summary = "Move a card to a grid index", tags = ct, body = S.card_move }, function(req)
  return cards.move(req.params.id, req.data.position)
end)
r:delete("/cards/{id}", { summary = "Soft-delete a card (restorable)", tags = ct }, function(req)
  return cards.delete(req.params.id)
end)
r:post("/cards/{id}/restore", { summary = "Restore a soft-deleted card", tags = ct }, function(req)
  return cards.restore(req.params.id)
end)
r:post("/cards/batch", { summary = "Creates, updates, moves and deletes in one transaction: all or nothing",
                         tags = ct, body = S.batch }, function(req)
  for i, op in ipairs(req.data.operations) do
    if op.op ~= "create" and not op.id then
      errors.validation("operation " .. i .. " needs an id",
                        { fields = { { field = "operations[" .. i .. "].id", issue = "required" } } })
    end
  end
  return cards.batch(req.data.sheet_id, req.data.operations)
end)

return r
