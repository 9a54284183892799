-- repositories/sheets.lua — the sheets table (see repositories/base.lua).
local base = require("repositories.base")

return base.new({
  table = "sheets",
  columns = { "name", "description", "columns", "is_default" },
  bool_columns = { is_default = true },
})
