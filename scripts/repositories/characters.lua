-- repositories/characters.lua — the characters table (see repositories/base.lua).
local base = require("repositories.base")

return base.new({
  table = "characters",
  columns = {"project_id", "name", "description", "reference_images", "lora", "trigger_words", "style_notes"},
  json_columns = {reference_images = "array", trigger_words = "array"},
})
