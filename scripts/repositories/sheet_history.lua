-- repositories/sheet_history.lua — the bounded per-sheet undo log.
local db = require("moonreel.db")
local json = require("moonreel.json")
local engine = require("moonreel.engine")

local M = {}

M.LIMIT = 50  -- operations kept per sheet; older ones fall off

function M.push(sheet_id, op, steps)
  db.exec('INSERT INTO "sheet_history" ("sheet_id", "op", "undo", "created_at") VALUES (?, ?, ?, ?)',
          sheet_id, op, json.encode(json.array(steps)), engine.now_iso())
  db.exec('DELETE FROM "sheet_history" WHERE "sheet_id" = ? AND "seq" NOT IN ' ..
          '(SELECT "seq" FROM "sheet_history" WHERE "sheet_id" = ? ORDER BY "seq" DESC LIMIT ?)',
          sheet_id, sheet_id, M.LIMIT)
end

-- Removes and returns the newest entry {op, steps}, or nil.
function M.pop(sheet_id)
  local row = db.query_one('SELECT "seq", "op", "undo" FROM "sheet_history" WHERE "sheet_id" = ? ' ..
                           'ORDER BY "seq" DESC LIMIT 1', sheet_id)
  if not row then return nil end
  db.exec('DELETE FROM "sheet_history" WHERE "seq" = ?', row.seq)
  return { op = row.op, steps = json.decode(row.undo) }
end

function M.count(sheet_id)
  return db.query_one('SELECT COUNT(*) AS n FROM "sheet_history" WHERE "sheet_id" = ?', sheet_id).n
end

return M
