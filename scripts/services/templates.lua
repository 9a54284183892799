-- services/templates.lua — style templates and applying them to clip prompts.
local json = require("moonreel.json")
local db = require("moonreel.db")
local errors = require("moonreel.errors")
local common = require("services.common")
local crud = require("services.crud")
local templates = require("repositories.templates")
local projects = require("repositories.projects")
local scenes = require("repositories.scenes")
local clips = require("repositories.clips")

local M = crud.service(templates, "Template")

function M.create(body) return templates:insert(body) end

function M.list(limit, offset)
  local items, total = templates:list({ limit = limit, offset = offset })
  return common.page(items, total, limit, offset)
end

-- prefix + prompt + suffix, idempotent: a prompt that already carries the
-- template's parts is left as it is.
local function styled(prompt, t)
  local out = prompt
  if t.prompt_prefix ~= "" and out:sub(1, #t.prompt_prefix) ~= t.prompt_prefix then
    out = t.prompt_prefix .. (out ~= "" and ", " .. out or "")
  end
  if t.prompt_suffix ~= "" and out:sub(-#t.prompt_suffix) ~= t.prompt_suffix then
    out = (out ~= "" and out .. ", " or "") .. t.prompt_suffix
  end
  return out
end
M.styled = styled

-- Applies the template to the image and video prompts of every clip of a
-- scene or a project; returns what changed, clip by clip.
function M.apply(id, body)
  local t = M.get(id)
  if (body.scene_id == nil) == (body.project_id == nil) then
    errors.validation("give exactly one of scene_id or project_id", {
      fields = json.array({ { field = "scene_id", issue = "exactly one of scene_id, project_id is required" } }),
    })
  end
  local scene_ids = {}
  if body.scene_id then
    common.found(scenes:find(body.scene_id), "Scene", body.scene_id)
    scene_ids[1] = body.scene_id
  else
    common.found(projects:find(body.project_id), "Project", body.project_id)
    for _, s in ipairs(scenes:list({ where = { project_id = body.project_id } })) do scene_ids[#scene_ids + 1] = s.id end
  end
  return db.tx(function()
    local changed = json.array()
    local examined = 0
    for _, sid in ipairs(scene_ids) do
      for _, clip in ipairs(clips:list({ where = { scene_id = sid } })) do
        examined = examined + 1
        local img, vid = styled(clip.image_prompt, t), styled(clip.video_prompt, t)
        if img ~= clip.image_prompt or vid ~= clip.video_prompt then
          clips:update(clip.id, { image_prompt = img, video_prompt = vid })
          changed[#changed + 1] = {
            clip_id = clip.id,
            before = { image_prompt = clip.image_prompt, video_prompt = clip.video_prompt },
            after = { image_prompt = img, video_prompt = vid },
          }
        end
      end
    end
    return { template_id = id, clips_examined = examined, clips_changed = #changed, changes = changed,
             negative_prompt = t.negative_prompt, default_parameters = t.default_parameters }
  end)
end

return M
