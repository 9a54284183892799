-- repositories/base.lua — generic CRUD over one SQLite table, the only place SQL strings are built.
--
-- A repository is declared with its table, its writable columns, and which
-- columns hold JSON (lists / maps) or booleans; rows come back as entities:
-- JSON columns decoded, booleans as true/false, NULL as json.null. Values are
-- always bound as parameters; identifiers come only from the declaration.
-- Keeping SQL here (not in services) is what lets a PostgreSQL backend replace
-- the db primitive later without touching services.
local db = require("moonreel.db")
local json = require("moonreel.json")
local engine = require("moonreel.engine")

local M = {}

local Repo = {}
Repo.__index = Repo

local function quote(name) return '"' .. name .. '"' end

function M.new(spec)
  local self = setmetatable({
    table = spec.table,
    columns = spec.columns,
    json_columns = spec.json_columns or {},
    bool_columns = spec.bool_columns or {},
    order_by = spec.order_by or '"created_at", "id"',
  }, Repo)
  self.known = {}
  for _, c in ipairs(spec.columns) do self.known[c] = true end
  return self
end

function Repo:decode(row)
  if row == nil then return nil end
  for col, kind in pairs(self.json_columns) do
    local v = row[col]
    if type(v) == "string" then
      row[col] = json.decode(v)
    elseif v == nil or v == json.null then
      row[col] = kind == "array" and json.array() or json.object()
    end
  end
  for col in pairs(self.bool_columns) do
    if row[col] ~= nil and row[col] ~= json.null then row[col] = row[col] ~= 0 end
  end
  return row
end

function Repo:encode_value(col, v)
  if v == nil or v == json.null then return nil end
  if self.json_columns[col] then return json.encode(v) end
  if self.bool_columns[col] then return v and 1 or 0 end
  return v
end

function Repo:find(id)
  return self:decode(db.query_one("SELECT * FROM " .. quote(self.table) .. " WHERE id = ?", id))
end

function Repo:exists(id)
  return db.query_one("SELECT 1 AS x FROM " .. quote(self.table) .. " WHERE id = ?", id) ~= nil
end

-- where: { column = value, ... } (equality, AND); returns items, total.
function Repo:list(opts)
  opts = opts or {}
  local clauses, args = {}, {}
  local cols = {}
  for col in pairs(opts.where or {}) do cols[#cols + 1] = col end
  table.sort(cols)
  for _, col in ipairs(cols) do
    assert(self.known[col] or col == "id", "unknown column " .. col)
    local v = opts.where[col]
    if v == json.null then
      clauses[#clauses + 1] = quote(col) .. " IS NULL"
    else
      clauses[#clauses + 1] = quote(col) .. " = ?"
      args[#args + 1] = self:encode_value(col, v)
    end
  end
  local where = #clauses > 0 and (" WHERE " .. table.concat(clauses, " AND ")) or ""
  local sql = "SELECT * FROM " .. quote(self.table) .. where .. " ORDER BY " .. (opts.order_by or self.order_by)
  local n = #args
  -- Only a page needs a separate COUNT; a whole list counts itself.
  local total
  if opts.limit then
    total = db.query_one("SELECT COUNT(*) AS n FROM " .. quote(self.table) .. where, unpack(args, 1, n)).n
    sql = sql .. " LIMIT ? OFFSET ?"
    args[n + 1], args[n + 2] = opts.limit, opts.offset or 0
  end
  local rows = db.query(sql, unpack(args, 1, #args))
  for i = 1, #rows do self:decode(rows[i]) end
  return rows, total or #rows
end

-- fields: column → value (unknown columns are a programming error).
function Repo:insert(fields)
  local now = engine.now_iso()
  local cols, marks, args = { "id", "created_at", "updated_at" }, { "?", "?", "?" }, { fields.id or engine.new_id(), now, now }
  local n = 3  -- explicit count: a NULL value is a nil in args, which # would not count
  for col, v in pairs(fields) do
    if col ~= "id" then
      assert(self.known[col], "unknown column " .. tostring(col))
      n = n + 1
      cols[n] = quote(col)
      marks[n] = "?"
      args[n] = self:encode_value(col, v)
    end
  end
  db.exec("INSERT INTO " .. quote(self.table) .. " (" .. table.concat(cols, ", ") .. ") VALUES (" ..
          table.concat(marks, ", ") .. ")", unpack(args, 1, #cols))
  return self:find(args[1])
end

-- Returns the updated entity, or nil when the id does not exist.
function Repo:update(id, fields)
  local sets, args = { '"updated_at" = ?' }, { engine.now_iso() }
  local n = 1  -- explicit count, as in insert
  for col, v in pairs(fields) do
    assert(self.known[col], "unknown column " .. tostring(col))
    n = n + 1
    sets[n] = quote(col) .. " = ?"
    args[n] = self:encode_value(col, v)
  end
  args[n + 1] = id
  local changes = db.exec("UPDATE " .. quote(self.table) .. " SET " .. table.concat(sets, ", ") .. " WHERE id = ?",
                          unpack(args, 1, n + 1))
  if changes == 0 then return nil end
  return self:find(id)
end

function Repo:delete(id)
  return db.exec("DELETE FROM " .. quote(self.table) .. " WHERE id = ?", id) > 0
end

function Repo:max(column, where_col, value)
  local row = db.query_one("SELECT MAX(" .. quote(column) .. ") AS m FROM " .. quote(self.table) ..
                           " WHERE " .. quote(where_col) .. " = ?", value)
  local m = row and row.m
  if m == nil or m == json.null then return nil end
  return m
end

return M
