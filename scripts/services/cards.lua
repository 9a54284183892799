-- services/cards.lua — cards in grid order: create, update, move, soft delete, restore, batch, undo.
--
-- Every mutation runs in one transaction that also records its inverse in the
-- sheet's undo log: a snapshot of each card as it was before ("put") and the
-- ids it created ("delete"). Undo replays the inverse in reverse order, so a
-- batch is undone as one operation.
local json = require("moonreel.json")
local db = require("moonreel.db")
local errors = require("moonreel.errors")
local engine = require("moonreel.engine")
local common = require("services.common")
local sheets = require("repositories.sheets")
local cards = require("repositories.cards")
local history = require("repositories.sheet_history")

local M = {}

local WRITABLE = { title = true, note = true, metadata = true, media_type = true, media_url = true,
                   thumb_url = true, width = true, height = true, duration = true }

-- -- Recording -------------------------------------------------------------------

local Recorder = {}
Recorder.__index = Recorder

local function recorder() return setmetatable({ steps = {}, seen = {} }, Recorder) end

function Recorder:before(card)
  if not self.seen[card.id] then
    self.seen[card.id] = true
    self.steps[#self.steps + 1] = { kind = "put", card = card }
  end
end

function Recorder:created(id)
  self.seen[id] = true
  self.steps[#self.steps + 1] = { kind = "delete", id = id }
end

local function recorded(sheet_id, op, fn)
  return db.tx(function()
    local rec = recorder()
    local result = fn(rec)
    history.push(sheet_id, op, rec.steps)
    return result
  end)
end

-- -- Grid order --------------------------------------------------------------------

local function live(sheet_id)
  return cards:list({ where = { sheet_id = sheet_id, deleted_at = json.null } })
end

-- Writes positions 0..n-1 for `ordered`, recording each card it changes.
local function renumber(ordered, rec)
  for i, card in ipairs(ordered) do
    if card.position ~= i - 1 then
      rec:before(card)
      cards:update(card.id, { position = i - 1 })
    end
  end
end

local function clamp_index(pos, n)
  if pos == nil or pos > n then return n + 1 end
  return pos + 1
end

-- -- Operations (each callable inside a batch with a shared recorder) --------------

local function get_card(id) return common.found(cards:find(id), "Card", id) end

local function do_create(sheet_id, body, rec)
  local fields = common.pick(body, WRITABLE)
  fields.sheet_id = sheet_id
  local ordered = live(sheet_id)
  local at = clamp_index(body.position, #ordered)
  fields.position = at - 1
  local card = cards:insert(fields)
  rec:created(card.id)
  table.insert(ordered, at, card)
  renumber(ordered, rec)
  return cards:find(card.id)
end

local function do_update(id, changes, rec)
  local card = get_card(id)
  rec:before(card)
  return cards:update(id, common.pick(changes, WRITABLE))
end

local function do_delete(id, rec)
  local card = get_card(id)
  if card.deleted_at ~= json.null then return card end
  rec:before(card)
  return cards:update(id, { deleted_at = engine.now_iso() })
end

local function do_move(id, position, rec)
  local card = get_card(id)
  if card.deleted_at ~= json.null then errors.conflict("a deleted card cannot be moved; restore it first") end
  local ordered = live(card.sheet_id)
  for i, c in ipairs(ordered) do
    if c.id == id then table.remove(ordered, i); break end
  end
  table.insert(ordered, clamp_index(position, #ordered), card)
  renumber(ordered, rec)
  return cards:find(id)
end

-- -- Public surface -------------------------------------------------------------------

function M.get(id) return get_card(id) end

function M.list(sheet_id, include_deleted)
  common.found(sheets:find(sheet_id), "Sheet", sheet_id)
  local where = { sheet_id = sheet_id }
  if not include_deleted then where.deleted_at = json.null end
  local items, total = cards:list({ where = where })
  return common.page(items, total, total, 0)
end

function M.create(sheet_id, body)
  common.found(sheets:find(sheet_id), "Sheet", sheet_id)
  return recorded(sheet_id, "create", function(rec) return do_create(sheet_id, body, rec) end)
end

function M.update(id, changes)
  local card = get_card(id)
  return recorded(card.sheet_id, "update", function(rec) return do_update(id, changes, rec) end)
end

function M.move(id, position)
  local card = get_card(id)
  return recorded(card.sheet_id, "move", function(rec) return do_move(id, position, rec) end)
end

function M.delete(id)
  local card = get_card(id)
  return recorded(card.sheet_id, "delete", function(rec) return do_delete(id, rec) end)
end

function M.restore(id)
  local card = get_card(id)
  if card.deleted_at == json.null then return card end
  return recorded(card.sheet_id, "restore", function(rec)
    rec:before(card)
    return cards:update(id, { deleted_at = json.null, position = #live(card.sheet_id) })
  end)
end

-- All or nothing: any failing operation rolls back the whole batch (its error
-- says which operation, by index).
function M.batch(sheet_id, operations)
  common.found(sheets:find(sheet_id), "Sheet", sheet_id)
  return recorded(sheet_id, "batch", function(rec)
    local results = json.array()
    for i, op in ipairs(operations) do
      local ok, res = pcall(function()
        if op.op == "create" then return do_create(sheet_id, op.card or {}, rec) end
        local card = get_card(op.id)
        if card.sheet_id ~= sheet_id then
          errors.validation("card belongs to another sheet", { fields = { { field = "operations[" .. i .. "].id",
                                                                           issue = "not on this sheet" } } })
        end
        if op.op == "update" then return do_update(op.id, op.changes or {}, rec) end
        if op.op == "delete" then return do_delete(op.id, rec) end
        if op.op == "move" then return do_move(op.id, op.position, rec) end
      end)
      if not ok then
        if errors.is(res) then
          res.details = res.details or {}
          res.details.operation = i
          res.message = ("operation %d: %s"):format(i, res.message)
        end
        error(res, 0)
      end
      results[i] = res
    end
    return { sheet_id = sheet_id, results = results }
  end)
end

-- Reverts the newest recorded operation on the sheet.
function M.undo(sheet_id)
  common.found(sheets:find(sheet_id), "Sheet", sheet_id)
  return db.tx(function()
    local entry = history.pop(sheet_id)
    if not entry then errors.conflict("nothing to undo on this sheet", { sheet_id = sheet_id }) end
    for i = #entry.steps, 1, -1 do
      local step = entry.steps[i]
      if step.kind == "delete" then
        cards:delete(step.id)
      elseif step.kind == "put" then
        local c = step.card
        local fields = {}
        for k, v in pairs(c) do
          if k ~= "id" and k ~= "created_at" and k ~= "updated_at" then fields[k] = v end
        end
        if not cards:update(c.id, fields) then
          fields.id = c.id
          cards:insert(fields)
        end
      end
    end
    return { undone = entry.op, sheet_id = sheet_id, cards = live(sheet_id) }
  end)
end

return M
