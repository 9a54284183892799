-- moonreel.inspect — readable text for any Lua value (the REPL's printer).
--
-- Tables print with sorted keys and two-space indentation; strings inside
-- tables are quoted; json.null prints as `null`; a table met twice on the
-- same path prints as <cycle>; nesting past `depth` (default 6) prints as {...}.
local json = require("moonreel.json")

local M = {}

local function is_identifier(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

local function key_order(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta == "number" end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

local function scalar(v)
  if v == json.null then return "null" end
  if type(v) == "string" then return ("%q"):format(v):gsub("\\\n", "\\n") end
  return tostring(v)
end

local function render(v, indent, depth, max_depth, open, out)
  if type(v) ~= "table" then
    out[#out + 1] = scalar(v)
    return
  end
  if open[v] then out[#out + 1] = "<cycle>"; return end
  if depth >= max_depth then out[#out + 1] = "{...}"; return end
  local keys, n = {}, #v
  for k in pairs(v) do
    if not (type(k) == "number" and k >= 1 and k <= n and k % 1 == 0) then keys[#keys + 1] = k end
  end
  table.sort(keys, key_order)
  if n == 0 and #keys == 0 then
    out[#out + 1] = json.is_array(v) and "[]" or "{}"
    return
  end
  open[v] = true
  local pad = indent .. "  "
  out[#out + 1] = "{\n"
  for i = 1, n do
    out[#out + 1] = pad
    render(v[i], pad, depth + 1, max_depth, open, out)
    out[#out + 1] = ",\n"
  end
  for _, k in ipairs(keys) do
    out[#out + 1] = pad
    out[#out + 1] = is_identifier(k) and k or ("[" .. scalar(k) .. "]")
    out[#out + 1] = " = "
    render(v[k], pad, depth + 1, max_depth, open, out)
    out[#out + 1] = ",\n"
  end
  out[#out + 1] = indent .. "}"
  open[v] = nil
end

function M.inspect(v, opts)
  local out = {}
  render(v, "", 0, (opts and opts.depth) or 6, {}, out)
  return table.concat(out)
end

setmetatable(M, { __call = function(_, v, opts) return M.inspect(v, opts) end })
return M
