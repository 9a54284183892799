-- moonreel.schema — declarative schemas: one declaration validates a request
-- body, a query string or a workflow input, shapes the 400 details, and feeds
-- the OpenAPI document (moonreel.openapi).
--
--   local schema = require("moonreel.schema")
--   local project_create = schema.object({
--     name = schema.string({ required = true, max_length = 200 }),
--     fps = schema.integer({ default = 24, between = { 1, 120 } }),
--   })
--   local clean, errs = schema.validate(project_create, req.json)
--
-- Contract (docs/schemas.md):
--   * Constructors return plain tables ({type = "string", max_length = 200});
--     a hand-written table of that shape is a schema too. A constructor given
--     an unknown option, a malformed option or a default that does not pass
--     its own schema raises at the declaring line.
--   * validate(s, value) → cleaned | nil, errs. The cleaned value is a new
--     table (defaults filled in, arrays / objects tagged for json.encode); the
--     input is never modified. errs is a json array of {field, issue}: field is
--     a path ("name", "scenes[2].order", 1-based like Lua; "$" is the value
--     itself), issue a short sentence. One issue per path, in declared order.
--   * json.null is a value: accepted only where the schema says nullable, and
--     kept in the cleaned value. A missing field is not null.
--   * Objects reject unknown fields unless additional = true or a schema.
local json = require("moonreel.json")
local errors = require("moonreel.errors")

local null, array_mt, object_mt = json.null, json.array_mt, json.object_mt
local type, pairs, ipairs, next, tostring, tonumber = type, pairs, ipairs, next, tostring, tonumber
local getmetatable, setmetatable, error, pcall = getmetatable, setmetatable, error, pcall
local concat, sort, huge = table.concat, table.sort, math.huge

local M = {}

-- -- Shapes of Lua values ----------------------------------------------------

-- True when the keys are exactly 1..n (n may be 0).
local function is_sequence(t)
  local n, max = 0, 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k % 1 ~= 0 then return false end
    n = n + 1
    if k > max then max = k end
  end
  return n == max
end

-- An object-tagged table is never an array; an untagged {} may be either.
local function is_array_value(v)
  return type(v) == "table" and getmetatable(v) ~= object_mt and is_sequence(v)
end

local function is_object_value(v)
  if type(v) ~= "table" or getmetatable(v) == array_mt then return false end
  for k in pairs(v) do
    if type(k) ~= "string" then return false end
  end
  return true
end

local function kind_of(v)
  if v == null then return "null" end
  local t = type(v)
  if t ~= "table" then return t end
  local mt = getmetatable(v)
  if mt == array_mt then return "array" end
  if mt == object_mt or next(v) == nil then return "object" end
  return is_sequence(v) and "array" or "object"
end

-- A deep copy that keeps the json tags (and shared / cyclic structure).
local function copy(v, seen)
  if type(v) ~= "table" then return v end
  seen = seen or {}
  if seen[v] then return seen[v] end
  local out = {}
  seen[v] = out
  for k, x in pairs(v) do out[copy(k, seen)] = copy(x, seen) end
  local mt = getmetatable(v)
  if mt == array_mt or mt == object_mt then setmetatable(out, mt) end
  return out
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function utf8_length(s)
  local _, continuation = s:gsub("[\128-\191]", "")
  return #s - continuation
end

local function number_text(n)
  if n % 1 == 0 and n > -2 ^ 53 and n < 2 ^ 53 then return ("%d"):format(n) end
  return ("%.14g"):format(n)
end

local function value_text(v)
  if type(v) == "number" then return number_text(v) end
  if v == null then return "null" end
  return tostring(v)
end

-- -- Formats (a basic check per known format; unknown formats only document) --

local function in_range(text, lo, hi)
  local n = tonumber(text)
  return n >= lo and n <= hi
end

local DAYS_IN_MONTH = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function is_date(s)
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y or not in_range(m, 1, 12) then return false end
  y, m = tonumber(y), tonumber(m)
  local leap = y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
  return in_range(d, 1, (m == 2 and not leap) and 28 or DAYS_IN_MONTH[m])
end

local FORMATS = {
  ["date-time"] = {
    issue = "must be a date-time (RFC 3339, e.g. 2024-05-01T12:00:00Z)",
    check = function(s)
      local date, h, mi, sec, frac, zone = s:match("^(%d%d%d%d%-%d%d%-%d%d)[Tt](%d%d):(%d%d):(%d%d)(%.?%d*)(.*)$")
      if not date or not is_date(date) then return false end
      if not (in_range(h, 0, 23) and in_range(mi, 0, 59) and in_range(sec, 0, 60)) then return false end
      if frac ~= "" and not frac:match("^%.%d+$") then return false end
      return zone == "Z" or zone == "z" or zone:match("^[+-]%d%d:%d%d$") ~= nil
    end,
  },
  date = { issue = "must be a date (YYYY-MM-DD)", check = is_date },
  uuid = {
    issue = "must be a UUID",
    check = function(s)
      return s:match("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$") ~= nil
    end,
  },
  uri = {
    issue = "must be an absolute URI",
    check = function(s) return s:match("^%a[%w+.%-]*:[^%s]+$") ~= nil end,
  },
  email = {
    issue = "must be an email address",
    check = function(s) return s:match("^[^%s@]+@[^%s@]+%.[^%s@]+$") ~= nil end,
  },
}

-- -- Validation ----------------------------------------------------------------

local TYPES = {}

local function is_schema(v)
  return type(v) == "table" and type(v.type) == "string" and TYPES[v.type] ~= nil
end
M.is_schema = is_schema

local function issue(errs, path, text)
  errs[#errs + 1] = { field = path == "" and "$" or path, issue = text }
end

local function key_path(prefix, key)
  if key:match("^[%a_][%w_%-]*$") then
    return prefix == "" and key or prefix .. "." .. key
  end
  return (prefix == "" and "$" or prefix) .. '["' .. key:gsub('[\\"]', "\\%0") .. '"]'
end

local function index_path(prefix, i)
  return (prefix == "" and "$" or prefix) .. "[" .. i .. "]"
end

local function mismatch(errs, path, expected, v)
  issue(errs, path, "expected " .. expected .. ", got " .. kind_of(v))
end

local function check_one_of(s, v, path, errs)
  if not s.one_of then return true end
  for _, allowed in ipairs(s.one_of) do
    if v == allowed then return true end
  end
  local names = {}
  for i, allowed in ipairs(s.one_of) do names[i] = value_text(allowed) end
  issue(errs, path, "must be one of: " .. concat(names, ", "))
  return false
end

local function bounds(s)
  local between = s.between
  return s.min or (between and between[1]), s.max or (between and between[2])
end

local check_value

-- A slot may be absent: the default fills it, else "required" or nothing.
local function check_slot(s, v, path, errs)
  if v == nil then
    if s.default ~= nil then return check_value(s, s.default, path, errs) end
    if s.required then issue(errs, path, "required") end
    return nil
  end
  return check_value(s, v, path, errs)
end

-- Returns the cleaned value, or nil after recording an issue.
function check_value(s, v, path, errs)
  if v == null then
    if s.nullable then return null end
    issue(errs, path, "must not be null")
    return nil
  end
  local validate_type = type(s) == "table" and TYPES[s.type]
  if not validate_type then
    local what = type(s) == "table" and ("unknown type '" .. tostring(s.type) .. "'") or "no schema"
    error("schema: " .. what .. " at " .. (path == "" and "$" or path), 0)
  end
  return validate_type(s, v, path, errs)
end

function TYPES.string(s, v, path, errs)
  if type(v) ~= "string" then return mismatch(errs, path, "string", v) end
  if not check_one_of(s, v, path, errs) then return nil end
  if s.min_length or s.max_length then
    local length = utf8_length(v)
    if s.min_length and length < s.min_length then
      return issue(errs, path, "length must be >= " .. s.min_length)
    end
    if s.max_length and length > s.max_length then
      return issue(errs, path, "length must be <= " .. s.max_length)
    end
  end
  if s.pattern and not v:find(s.pattern) then
    return issue(errs, path, "must match the Lua pattern " .. s.pattern)
  end
  local format = s.format and FORMATS[s.format]
  if format and not format.check(v) then return issue(errs, path, format.issue) end
  return v
end

local function check_number(s, v, path, errs, expected)
  if type(v) ~= "number" then return mismatch(errs, path, expected, v) end
  if v ~= v or v == huge or v == -huge then return issue(errs, path, "must be a finite number") end
  if expected == "integer" and v % 1 ~= 0 then return issue(errs, path, "must be an integer") end
  if not check_one_of(s, v, path, errs) then return nil end
  local min, max = bounds(s)
  if min and v < min then return issue(errs, path, "must be >= " .. number_text(min)) end
  if max and v > max then return issue(errs, path, "must be <= " .. number_text(max)) end
  return v
end

function TYPES.integer(s, v, path, errs) return check_number(s, v, path, errs, "integer") end
function TYPES.number(s, v, path, errs) return check_number(s, v, path, errs, "number") end

function TYPES.boolean(s, v, path, errs)
  if type(v) ~= "boolean" then return mismatch(errs, path, "boolean", v) end
  return v
end

function TYPES.any(s, v, path, errs)
  if not check_one_of(s, v, path, errs) then return nil end
  return copy(v)
end

local function plural(n, word)
  return n .. " " .. word .. (n == 1 and "" or "s")
end

function TYPES.array(s, v, path, errs)
  if not is_array_value(v) then return mismatch(errs, path, "array", v) end
  local n = #v
  if s.min_items and n < s.min_items then
    issue(errs, path, "must have at least " .. plural(s.min_items, "item"))
  elseif s.max_items and n > s.max_items then
    issue(errs, path, "must have at most " .. plural(s.max_items, "item"))
  end
  local out = setmetatable({}, array_mt)
  for i = 1, n do
    out[i] = check_value(s.items, v[i], index_path(path, i), errs)
  end
  return out
end

function TYPES.object(s, v, path, errs)
  if not is_object_value(v) then return mismatch(errs, path, "object", v) end
  local out = setmetatable({}, object_mt)
  local fields = s.fields or {}
  for _, name in ipairs(s.order or sorted_keys(fields)) do
    out[name] = check_slot(fields[name], v[name], key_path(path, name), errs)
  end
  local additional = s.additional
  for _, key in ipairs(sorted_keys(v)) do
    if fields[key] == nil then
      if additional == true then
        out[key] = copy(v[key])
      elseif is_schema(additional) then
        out[key] = check_value(additional, v[key], key_path(path, key), errs)
      else
        issue(errs, key_path(path, key), "unknown field")
      end
    end
  end
  return out
end

local function validate(s, value)
  local errs = setmetatable({}, array_mt)
  local out
  if value == nil and s.default == nil then
    issue(errs, "", "required")
  else
    out = check_slot(s, value, "", errs)
  end
  if #errs > 0 then return nil, errs end
  return out
end

function M.validate(s, value)
  if not is_schema(s) then error("schema.validate: the first argument is not a schema", 2) end
  return validate(s, value)
end

-- Raises the 400 the client sees; `what` names the value in the message.
function M.check(s, value, what)
  if not is_schema(s) then error("schema.check: the first argument is not a schema", 2) end
  local out, errs = validate(s, value)
  if out == nil then
    errors.raise(400, "VALIDATION_ERROR", (what or "request body") .. " is invalid", { fields = errs })
  end
  return out
end

-- -- Declaring schemas -------------------------------------------------------

local function declare_error(message) error(message, 0) end

local OPTION_CHECKS = {
  any = function() return nil end,
  boolean = function(v) if type(v) ~= "boolean" then return "must be true or false" end end,
  text = function(v) if type(v) ~= "string" then return "must be a string" end end,
  count = function(v)
    if type(v) ~= "number" or v < 0 or v % 1 ~= 0 then return "must be a non-negative integer" end
  end,
  number = function(v)
    if type(v) ~= "number" or v ~= v or v == huge or v == -huge then return "must be a finite number" end
  end,
  range = function(v)
    if type(v) ~= "table" or type(v[1]) ~= "number" or type(v[2]) ~= "number" or v[1] > v[2] then
      return "must be {min, max} with min <= max"
    end
  end,
  list = function(v)
    if type(v) ~= "table" or #v == 0 or not is_sequence(v) then return "must be a non-empty list" end
  end,
  pattern = function(v)
    if type(v) ~= "string" then return "must be a string (a Lua pattern)" end
    local ok, err = pcall(string.find, "", v)
    if not ok then return "is not a valid Lua pattern: " .. tostring(err) end
  end,
  additional = function(v)
    if type(v) ~= "boolean" and not is_schema(v) then return "must be true, false or a schema" end
  end,
  name = function(v)
    if type(v) ~= "string" or not v:match("^[%w%.%-_]+$") then
      return "must be a component name (letters, digits, '.', '-', '_')"
    end
  end,
}

local COMMON = { required = "boolean", default = "any", nullable = "boolean", description = "text",
                 example = "any", deprecated = "boolean" }
local NUMERIC = { min = "number", max = "number", between = "range", one_of = "list" }
local OPTIONS = {
  string = { min_length = "count", max_length = "count", pattern = "pattern", format = "text", one_of = "list" },
  integer = NUMERIC,
  number = NUMERIC,
  boolean = {},
  any = { one_of = "list" },
  array = { min_items = "count", max_items = "count" },
  object = { additional = "additional", name = "name" },
}

local function strip_default(s)
  local probe = {}
  for k, v in pairs(s) do probe[k] = v end
  probe.default = nil
  return probe
end

-- `base` holds the type and its positional parts; opts are checked and copied in.
local function build(base, opts)
  local kind = base.type
  if opts ~= nil and type(opts) ~= "table" then declare_error("options must be a table") end
  local allowed = OPTIONS[kind]
  for k, v in pairs(opts or {}) do
    local check = COMMON[k] or allowed[k]
    if not check then declare_error("unknown option '" .. tostring(k) .. "'") end
    local problem = OPTION_CHECKS[check](v)
    if problem then declare_error("option '" .. k .. "' " .. problem) end
    base[k] = (check == "additional") and v or copy(v)
  end
  if base.between and (base.min or base.max) then declare_error("use between or min / max, not both") end
  if base.between then
    base.min, base.max, base.between = base.between[1], base.between[2], nil
  end
  if base.min and base.max and base.min > base.max then declare_error("min is greater than max") end
  if base.min_length and base.max_length and base.min_length > base.max_length then
    declare_error("min_length is greater than max_length")
  end
  if base.min_items and base.max_items and base.min_items > base.max_items then
    declare_error("min_items is greater than max_items")
  end
  if base.default ~= nil then
    local _, errs = validate(strip_default(base), base.default)
    if errs then
      declare_error("default is invalid: " .. errs[1].field .. ": " .. errs[1].issue)
    end
  end
  return base
end

-- Constructors raise at the caller's line, naming themselves.
local function constructor(name, make)
  return function(...)
    local ok, result = pcall(make, ...)
    if not ok then error("schema." .. name .. ": " .. tostring(result), 2) end
    return result
  end
end

for _, kind in ipairs({ "string", "integer", "number", "boolean", "any" }) do
  M[kind] = constructor(kind, function(opts) return build({ type = kind }, opts) end)
end

M.array = constructor("array", function(items, opts)
  if not is_schema(items) then declare_error("the item schema is missing or not a schema") end
  return build({ type = "array", items = items }, opts)
end)

-- fields: a map {name = schema} (checked in name order) or Kong's ordered
-- list { {name = schema}, ... } (checked in declared order).
M.object = constructor("object", function(fields, opts)
  if fields ~= nil and type(fields) ~= "table" then declare_error("fields must be a table") end
  fields = fields or {}
  local map, order = {}, {}
  local function add(name, field)
    if type(name) ~= "string" then declare_error("field names must be strings") end
    if map[name] then declare_error("field '" .. name .. "' is declared twice") end
    if not is_schema(field) then declare_error("field '" .. name .. "' is not a schema") end
    map[name] = field
    order[#order + 1] = name
  end
  if #fields > 0 then
    if not is_sequence(fields) then declare_error("fields must be a map or a list, not both") end
    for i, entry in ipairs(fields) do
      local name, field = next(type(entry) == "table" and entry or {})
      if name == nil or next(entry, name) ~= nil then
        declare_error("fields[" .. i .. "] must hold exactly one {name = schema}")
      end
      add(name, field)
    end
  else
    for _, name in ipairs(sorted_keys(fields)) do add(name, fields[name]) end
  end
  local s = build({ type = "object", fields = map, order = order }, opts)
  if s.additional == nil then s.additional = false end
  return s
end)

-- A map with arbitrary string keys: schema.object({}, {additional = values}).
M.map = constructor("map", function(values, opts)
  if not is_schema(values) then declare_error("the value schema is missing or not a schema") end
  if type(opts) == "table" and opts.additional ~= nil then declare_error("unknown option 'additional'") end
  return build({ type = "object", fields = {}, order = {}, additional = values }, opts)
end)

-- The type follows the values: all strings → string, all integers → integer,
-- all numbers → number, anything else → any.
M.enum = constructor("enum", function(values, opts)
  if OPTION_CHECKS.list(values) then declare_error("values must be a non-empty list") end
  local kind
  local all_strings, all_numbers, all_integers = true, true, true
  for _, v in ipairs(values) do
    all_strings = all_strings and type(v) == "string"
    all_numbers = all_numbers and type(v) == "number"
    all_integers = all_integers and type(v) == "number" and v % 1 == 0
  end
  if all_strings then kind = "string"
  elseif all_integers then kind = "integer"
  elseif all_numbers then kind = "number"
  else kind = "any" end
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  if o.one_of ~= nil then declare_error("unknown option 'one_of' (the values are the first argument)") end
  o.one_of = values
  return build({ type = kind }, o)
end)

-- Field names of an object schema in checking order.
function M.field_order(s)
  if type(s) ~= "table" or s.type ~= "object" then error("schema.field_order: not an object schema", 2) end
  local out = {}
  for i, name in ipairs(s.order or sorted_keys(s.fields or {})) do out[i] = name end
  return out
end

-- For updates: the same fields with none required and no defaults, so an
-- absent field stays absent instead of being reset.
function M.partial(s)
  if type(s) ~= "table" or s.type ~= "object" then error("schema.partial: not an object schema", 2) end
  local out = {}
  for k, v in pairs(s) do out[k] = v end
  out.fields, out.order = {}, M.field_order(s)
  for name, field in pairs(s.fields or {}) do
    local f = {}
    for k, v in pairs(field) do f[k] = v end
    f.required, f.default = nil, nil
    out.fields[name] = f
  end
  out.required, out.default, out.name = nil, nil, nil
  return out
end

-- -- Query strings -------------------------------------------------------------

local function is_decimal(text)
  local mantissa = text:match("^[+-]?(%d*%.?%d*)$") or text:match("^[+-]?(%d*%.?%d*)[eE][+-]?%d+$")
  return mantissa ~= nil and mantissa:find("%d") ~= nil
end

local BOOLEANS = { ["true"] = true, ["false"] = false, ["1"] = true, ["0"] = false }

local function coerce(s, v)
  local kind = s.type
  if kind == "array" then
    local items = v
    if type(v) == "string" then
      items = {}
      if v ~= "" then
        for part in (v .. ","):gmatch("([^,]*),") do items[#items + 1] = part end
      end
    end
    if not is_array_value(items) then return v end
    local out = setmetatable({}, array_mt)
    for i, item in ipairs(items) do out[i] = coerce(s.items, item) end
    return out
  end
  if type(v) ~= "string" then return copy(v) end
  if kind == "integer" and v:match("^[+-]?%d+$") then return tonumber(v) end
  if kind == "number" and is_decimal(v) then return tonumber(v) end
  if kind == "boolean" and BOOLEANS[v] ~= nil then return BOOLEANS[v] end
  return v
end

-- Query values arrive as strings: convert those the schema types as integer,
-- number, boolean or array. An array is "a,b,c", or the repeated values
-- ?id=1&id=2 when query_all (req.query_all: key → list of values) is given.
-- Values that do not convert stay strings, so validation reports them.
-- Returns a new table; query and query_all are not modified.
function M.coerce_query(s, query, query_all)
  if type(s) ~= "table" or s.type ~= "object" then error("schema.coerce_query: not an object schema", 2) end
  local out = {}
  local fields = s.fields or {}
  for k, v in pairs(query or {}) do
    local field = fields[k] or (is_schema(s.additional) and s.additional)
    if not field then
      out[k] = copy(v)
    else
      local all = query_all and query_all[k]
      if field.type == "array" and type(all) == "table" and #all > 1 then v = all end
      out[k] = coerce(field, v)
    end
  end
  return out
end

function M.check_query(s, query, query_all)
  if type(s) ~= "table" or s.type ~= "object" then error("schema.check_query: not an object schema", 2) end
  return M.check(s, M.coerce_query(s, query, query_all), "query string")
end

return M
