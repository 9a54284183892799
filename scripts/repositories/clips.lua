-- repositories/clips.lua — the clips table (see repositories/base.lua).
local base = require("repositories.base")

return base.new({
  table = "clips",
  columns = {"scene_id", "name", "lyrics", "image_prompt", "video_prompt", "timeline_position", "length", "character_id", "parent_clip_id", "alternate_number", "is_alternate", "generated_images", "generated_videos", "selected_image", "selected_video"},
  json_columns = {generated_images = "array", generated_videos = "array"},
  bool_columns = {is_alternate = true},
  order_by = "\"timeline_position\", \"alternate_number\", \"created_at\", \"id\"",
})
