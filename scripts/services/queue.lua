-- services/queue.lua — submitting and managing jobs: the queue API's rules over moonreel.jobs.
--
-- Contract: submit() validates the workflow name and its input against the
-- workflow's declared schema (400 VALIDATION_ERROR with details.fields
-- prefixed "input."), checks that a referenced project / clip exists (a clip
-- also fills in its project), and returns (job, created). A refused action of
-- the engine maps to the HTTP error clients see: RESOURCE_NOT_FOUND 404,
-- CONFLICT 409, QUEUE_FULL 429 with Retry-After. Jobs are shown as the engine
-- stores them, plus `position` (1 = next) while pending.
local errors = require("moonreel.errors")
local jobs = require("moonreel.jobs")
local json = require("moonreel.json")
local schema = require("moonreel.schema")
local workflow = require("moonreel.workflow")
local common = require("services.common")
local clips_repo = require("repositories.clips")
local projects_repo = require("repositories.projects")

local M = {}

local STATUS = { RESOURCE_NOT_FOUND = 404, CONFLICT = 409, QUEUE_FULL = 429, VALIDATION_ERROR = 400 }

-- Turns a refused engine action (nil, err) into the HTTP error.
local function ok(value, err)
  if value ~= nil then return value end
  local headers
  if err.code == "QUEUE_FULL" then headers = { ["Retry-After"] = ("%d"):format(err.retry_after or 5) } end
  errors.raise(STATUS[err.code] or 400, err.code, err.message,
               err.retry_after and { retry_after = err.retry_after } or nil, headers)
end

local function field_error(field, issue)
  errors.validation("request body is invalid", { fields = json.array({ { field = field, issue = issue } }) })
end

function M.check_webhook(url)
  if url == nil then return end
  if not url:match("^https?://[%w%.%-%[%]:]+") or url:find("[%s%c]") then
    field_error("webhook_url", "must be an http:// or https:// URL")
  end
end

-- The workflow's cleaned input, or a 400 naming the bad input fields.
function M.check_input(name, input)
  local wf = workflow.get(name)
  if not wf then
    field_error("workflow", ("no workflow named '%s'"):format(tostring(name)))
  end
  local clean, errs = schema.validate(wf.input, input or json.object())
  if not clean then
    for _, e in ipairs(errs) do e.field = e.field == "$" and "input" or ("input." .. e.field) end
    errors.validation("input does not match the workflow '" .. name .. "'", { fields = errs })
  end
  return clean
end

-- spec: { workflow, input, priority, project_id, clip_id, job_id, webhook_url,
--         max_attempts, timeout_s, kind, idempotency_key }
function M.submit(spec)
  local input = M.check_input(spec.workflow, spec.input)
  M.check_webhook(spec.webhook_url)
  local project_id = spec.project_id ~= json.null and spec.project_id or nil
  local clip_id = spec.clip_id ~= json.null and spec.clip_id or nil
  if clip_id then
    local clip = clips_repo:find(clip_id)
    if not clip then field_error("clip_id", ("no clip with id '%s'"):format(clip_id)) end
    project_id = project_id or M.project_of_clip(clip)
  end
  common.reference("project_id", projects_repo, project_id, "project")
  local job, created = jobs.submit({
    workflow = spec.workflow, input = input, priority = spec.priority, project_id = project_id, clip_id = clip_id,
    job_id = spec.job_id, webhook_url = spec.webhook_url, max_attempts = spec.max_attempts,
    timeout_s = spec.timeout_s, kind = spec.kind, idempotency_key = spec.idempotency_key,
  })
  if job == nil then ok(nil, created) end  -- refused: created holds the error
  return job, created
end

function M.project_of_clip(clip)
  local row = require("moonreel.db").query_one(
    "SELECT s.project_id FROM scenes s WHERE s.id = ?", clip.scene_id)
  return row and row.project_id or nil
end

-- The 202 body of an accepted submission.
function M.accepted(job)
  return { job_id = job.id, status = job.status, job = job }
end

function M.get(id)
  return common.found(jobs.get(id), "Job", id)
end

function M.list(args)
  local page = jobs.list(args)
  return common.page(page.items, page.total, page.limit, page.offset)
end

function M.cancel(id)
  local outcome = ok(jobs.cancel(id))
  return { job_id = id, status = outcome, job = jobs.get(id) }
end

function M.retry(id) return ok(jobs.retry(id)) end
function M.set_priority(id, p) return ok(jobs.set_priority(id, p)) end

function M.status()
  local s = jobs.status()
  s.workflows = json.array()
  for _, wf in ipairs(workflow.list()) do s.workflows[#s.workflows + 1] = wf.name end
  return s
end

function M.pause() jobs.pause(); return M.status() end
function M.resume() jobs.resume(); return M.status() end
function M.clear(before) return { deleted = jobs.clear({ before = before }) } end

-- -- Server-sent events -------------------------------------------------------

-- A producer for res:stream: each call waits up to 15 s for events after the
-- last one sent (a comment line keeps the connection alive otherwise).
function M.event_stream(since, filter)
  local last, first = since or 0, true
  return function()
    if first then
      first = false
      return "retry: 2000\n: moonreel queue events\n\n"
    end
    local events = jobs.events({ since = last, job_id = filter.job_id, project_id = filter.project_id,
                                 timeout = 15, limit = 200 })
    if #events == 0 then return ": keep-alive\n\n" end
    local out = {}
    for i, e in ipairs(events) do
      out[i] = ("id: %d\nevent: %s\ndata: %s\n\n"):format(e.id, e.type, json.encode(e))
      last = e.id
    end
    return table.concat(out)
  end
end

return M
