-- moonreel.strict — refuses undeclared globals in app code.
--
-- Once required, reading or assigning a global that the engine did not
-- declare raises an error whose position is the offending line. App code
-- keeps its state in locals and module tables (design: "no globals").
local rawget, error, tostring, type = rawget, error, tostring, type

local mt = getmetatable(_G) or {}

mt.__newindex = function(_, name, _)
  error("assignment to undeclared global '" .. tostring(name) .. "' (use a local)", 2)
end

mt.__index = function(_, name)
  if type(name) ~= "string" then return nil end
  error("undeclared global '" .. tostring(name) .. "'", 2)
end

setmetatable(_G, mt)
return true
