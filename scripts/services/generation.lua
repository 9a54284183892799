-- services/generation.lua — generation requests for clips: the prompt a clip implies, and its job.
--
-- Contract: request_for_clip() folds what the storyboard knows into the
-- workflow input — the clip's image or video prompt (unless the request
-- gives one), its character (trigger words first, then name and
-- description, so LoRA triggers lead the prompt), and an optional style
-- template (prefix, suffix, negative prompt, default parameters under the
-- request's own). submit_for_clip() queues it (txt2img for images, img2video
-- for videos) linked to the clip and its project; the workflow's complete
-- hook appends the results to the clip's gallery.
local json = require("moonreel.json")
local common = require("services.common")
local queue = require("services.queue")
local clips = require("repositories.clips")
local characters = require("repositories.characters")
local templates = require("repositories.templates")

local M = {}

local function join(parts)
  local out = {}
  for _, p in ipairs(parts) do
    if p and p ~= json.null and p ~= "" then out[#out + 1] = p end
  end
  return table.concat(out, ", ")
end

local function present(v) return v ~= nil and v ~= json.null end

function M.request_for_clip(body)
  local clip = common.found(clips:find(body.clip_id), "Clip", body.clip_id)
  local kind = body.type or "image"
  local prompt = body.prompt or (kind == "video" and clip.video_prompt ~= "" and clip.video_prompt) or clip.image_prompt
  local negative = body.negative_prompt or ""
  local params = {}
  if present(clip.character_id) then
    local c = characters:find(clip.character_id)
    if c then
      local triggers = table.concat(c.trigger_words or {}, ", ")
      prompt = join({ triggers, c.name, c.description, prompt, c.style_notes })
      if present(c.lora) then params.lora = c.lora end
    end
  end
  if body.template_id then
    local t = templates:find(body.template_id)
    if not t then
      require("moonreel.errors").validation("request body is invalid", {
        fields = json.array({ { field = "template_id", issue = ("no template with id '%s'"):format(body.template_id) } }) })
    end
    prompt = join({ t.prompt_prefix, prompt, t.prompt_suffix })
    negative = join({ t.negative_prompt, negative })
    for k, v in pairs(t.default_parameters or {}) do params[k] = v end
  end
  for k, v in pairs(body.parameters or {}) do params[k] = v end
  local input = { prompt = prompt, negative_prompt = negative, seed = body.seed, provider = body.provider,
                  parameters = params, width = body.width, height = body.height }
  if kind == "video" and present(clip.selected_image) then input.image = clip.selected_image end
  return clip, kind == "video" and "img2video" or "txt2img", input
end

function M.submit_for_clip(body, idempotency_key)
  local clip, workflow_name, input = M.request_for_clip(body)
  local job, created = queue.submit({
    workflow = workflow_name, input = input, clip_id = clip.id, priority = body.priority,
    webhook_url = body.webhook_url, kind = body.type or "image", idempotency_key = idempotency_key,
  })
  return job, created
end

return M
