-- repositories/templates.lua — the style_templates table (see repositories/base.lua).
local base = require("repositories.base")

return base.new({
  table = "style_templates",
  columns = {"name", "description", "prompt_prefix", "prompt_suffix", "negative_prompt", "default_parameters"},
  json_columns = {default_parameters = "object"},
})
