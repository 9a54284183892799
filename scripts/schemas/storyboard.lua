-- schemas/storyboard.lua — request bodies of the storyboard API, declared once.
--
-- These drive validation (400 VALIDATION_ERROR with details.fields), and the
-- OpenAPI document. Update schemas are the create schemas with nothing
-- required (schema.partial); unknown fields are rejected.
local schema = require("moonreel.schema")

local S = {}

local name = function(desc) return schema.string({ required = true, min_length = 1, max_length = 200, description = desc }) end
local text = function(desc) return schema.string({ nullable = true, max_length = 20000, description = desc }) end
local ref = function(desc, required) return schema.string({ required = required, nullable = not required, max_length = 64, description = desc }) end

S.project_create = schema.object({
  name = name("Project name"),
  description = text("What the project is about"),
  music_file = schema.string({ nullable = true, max_length = 1000, description = "Stored media URL of the soundtrack" }),
})
S.project_update = schema.partial(S.project_create)

S.scene_create = schema.object({
  project_id = ref("Project the scene belongs to", true),
  name = name("Scene name"),
  description = text("Scene description"),
  order = schema.integer({ min = 0, description = "Position in the project; default: after the last scene" }),
})
S.scene_update = schema.object({
  name = schema.string({ min_length = 1, max_length = 200 }),
  description = text("Scene description"),
  order = schema.integer({ min = 0 }),
})
S.alternate_create = schema.object({
  name = schema.string({ min_length = 1, max_length = 200, description = "Name of the alternate; default: the original's" }),
  description = text("Description of the alternate"),
})

local clip_fields = {
  scene_id = ref("Scene the clip belongs to", true),
  name = name("Clip name"),
  lyrics = text("Lyrics sung over the clip"),
  image_prompt = schema.string({ max_length = 20000, default = "", description = "Prompt for still generation" }),
  video_prompt = schema.string({ max_length = 20000, default = "", description = "Prompt for video generation" }),
  timeline_position = schema.number({ min = 0, default = 0, description = "Seconds from the scene's start" }),
  length = schema.number({ min = 0.001, default = 1, description = "Seconds on the timeline (> 0)" }),
  character_id = ref("Character shown in the clip", false),
}
S.clip_create = schema.object(clip_fields)
S.clip_update = schema.object({
  name = schema.string({ min_length = 1, max_length = 200 }),
  lyrics = text("Lyrics"),
  image_prompt = schema.string({ max_length = 20000 }),
  video_prompt = schema.string({ max_length = 20000 }),
  timeline_position = schema.number({ min = 0 }),
  length = schema.number({ min = 0.001 }),
  character_id = ref("Character shown in the clip", false),
  selected_image = schema.string({ nullable = true, max_length = 1000, description = "Stored media URL" }),
  selected_video = schema.string({ nullable = true, max_length = 1000, description = "Stored media URL" }),
})
S.clip_timeline = schema.object({
  timeline_position = schema.number({ required = true, min = 0, description = "Seconds from the scene's start (>= 0)" }),
  length = schema.number({ min = 0.001, description = "Seconds (> 0)" }),
})

S.character_create = schema.object({
  name = name("Character name"),
  description = schema.string({ max_length = 20000, default = "" }),
  project_id = ref("Project the character belongs to (none = shared)", false),
  lora = schema.string({ nullable = true, max_length = 500, description = "LoRA model name" }),
  trigger_words = schema.array(schema.string({ max_length = 200 }), { max_items = 100, description = "Words that invoke the LoRA" }),
  style_notes = schema.string({ max_length = 20000, default = "" }),
  reference_images = schema.array(schema.string({ max_length = 1000 }), { max_items = 100 }),
})
S.character_update = schema.partial(S.character_create)

S.template_create = schema.object({
  name = name("Template name"),
  description = text("What the style looks like"),
  prompt_prefix = schema.string({ max_length = 5000, default = "" }),
  prompt_suffix = schema.string({ max_length = 5000, default = "" }),
  negative_prompt = schema.string({ max_length = 5000, default = "" }),
  default_parameters = schema.object({}, { additional = true, description = "Generation parameters (steps, cfg, size ...)" }),
})
S.template_update = schema.partial(S.template_create)
S.template_apply = schema.object({
  scene_id = schema.string({ max_length = 64, description = "Apply to the clips of this scene" }),
  project_id = schema.string({ max_length = 64, description = "Apply to every clip of this project" }),
})

S.pagination = schema.object({
  limit = schema.integer({ min = 1, max = 500, default = 50 }),
  offset = schema.integer({ min = 0, default = 0 }),
  project_id = schema.string({ max_length = 64 }),
})

return S
