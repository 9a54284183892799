-- services/sheets.lua — sheets of the media board (one default sheet made on demand).
local json = require("moonreel.json")
local db = require("moonreel.db")
local errors = require("moonreel.errors")
local common = require("services.common")
local sheets = require("repositories.sheets")
local cards = require("repositories.cards")
local history = require("repositories.sheet_history")

local M = {}

local function with_counts(sheet)
  local _, live = cards:list({ where = { sheet_id = sheet.id, deleted_at = json.null }, limit = 0 })
  sheet.card_count = live
  sheet.undo_depth = history.count(sheet.id)
  return sheet
end

function M.get(id) return with_counts(common.found(sheets:find(id), "Sheet", id)) end

function M.create(body)
  body.is_default = false
  return with_counts(sheets:insert(body))
end

function M.list(limit, offset)
  local items, total = sheets:list({ limit = limit, offset = offset })
  for _, s in ipairs(items) do with_counts(s) end
  return common.page(items, total, limit, offset)
end

function M.update(id, body)
  common.found(sheets:find(id), "Sheet", id)
  return with_counts(sheets:update(id, body))
end

function M.delete(id)
  local sheet = common.found(sheets:find(id), "Sheet", id)
  if sheet.is_default then errors.conflict("the default sheet cannot be deleted", { id = id }) end
  sheets:delete(id)
  return { deleted = true, id = id }
end

-- The sheet uploads land on when none is named; made on first use.
function M.default()
  local items = sheets:list({ where = { is_default = true }, limit = 1 })
  if items[1] then return items[1] end
  return db.tx(function()
    local again = sheets:list({ where = { is_default = true }, limit = 1 })
    return again[1] or sheets:insert({ name = "Default", is_default = true, columns = 4 })
  end)
end

return M
