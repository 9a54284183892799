-- scripts/greeting.lua — a shared module required by the fixture routes.
local M = {}
function M.word() return "hello" end
return M
