-- repositories/scenes.lua — the scenes table (see repositories/base.lua).
local base = require("repositories.base")

return base.new({
  table = "scenes",
  columns = {"project_id", "name", "description", "order", "parent_scene_id", "alternate_number", "is_alternate"},
  bool_columns = {is_alternate = true},
  order_by = "\"order\", \"alternate_number\", \"created_at\", \"id\"",
})
