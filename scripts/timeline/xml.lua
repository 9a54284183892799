-- timeline/xml.lua — the little XML the exporters write: escaped text and attributes, file URLs.
local M = {}

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&apos;" }

-- Escapes text and attribute values; drops the control characters XML 1.0 forbids.
function M.esc(s)
  s = tostring(s):gsub("[%z\1-\8\11\12\14-\31]", "")
  return (s:gsub("[&<>\"']", ESC))
end

-- ' a="1" b="x"' from an ordered list of {name, value} (nil values skipped).
function M.attrs(list)
  local out = {}
  for _, kv in ipairs(list) do
    if kv[2] ~= nil then out[#out + 1] = (' %s="%s"'):format(kv[1], M.esc(kv[2])) end
  end
  return table.concat(out)
end

-- file:///abs/path with every byte outside the unreserved set percent-encoded (spaces, non-ASCII ...).
function M.file_url(path)
  return "file://" .. path:gsub("[^%w%-%._~/]", function(c) return ("%%%02X"):format(c:byte()) end)
end

return M
