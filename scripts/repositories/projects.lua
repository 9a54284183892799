-- repositories/projects.lua — the projects table (see repositories/base.lua).
local base = require("repositories.base")

return base.new({
  table = "projects",
  columns = {"name", "description", "music_file"},
})
