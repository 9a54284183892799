-- schemas/jobs.lua — request bodies and queries of the queue and generation APIs.
local schema = require("moonreel.schema")

local S = {}

local id = function(desc) return schema.string({ nullable = true, max_length = 64, description = desc }) end

-- Fields every way of submitting a job shares (queue, generation, generate).
S.job_options = {
  priority = schema.integer({ default = 0, between = { -1000, 1000 }, description = "Higher runs first; FIFO within a priority" }),
  project_id = id("Project the job belongs to (events can be filtered by it)"),
  clip_id = id("Clip the job generates for"),
  job_id = schema.string({ min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_.:-]+$",
                           description = "Client-chosen job id: submitting it again returns the same job" }),
  webhook_url = schema.string({ max_length = 2048, description = "POSTed (signed) when the job completes, fails or is cancelled" }),
  max_attempts = schema.integer({ between = { 1, 20 }, description = "Attempts for retryable errors; default jobs.max_attempts" }),
  timeout_s = schema.number({ between = { 1, 86400 }, description = "Time limit of one attempt; default jobs.timeout_s" }),
}

local function with_options(fields)
  for k, v in pairs(S.job_options) do fields[k] = v end
  return schema.object(fields)
end
S.with_options = with_options

S.job_submit = with_options({
  workflow = schema.string({ required = true, min_length = 1, max_length = 100, description = "Workflow name (GET /generators)" }),
  input = schema.object({}, { additional = true, description = "The workflow's input (its schema: GET /generators)" }),
})

S.priority = schema.object({
  priority = schema.integer({ required = true, between = { -1000, 1000 } }),
})

S.clear = schema.object({
  before = schema.string({ format = "date-time", description = "Only jobs finished before this time; default: every finished job" }),
})

S.job_list_query = schema.object({
  status = schema.enum({ "pending", "processing", "completed", "failed", "cancelled" }),
  project_id = schema.string({ max_length = 64 }),
  clip_id = schema.string({ max_length = 64 }),
  workflow = schema.string({ max_length = 100 }),
  limit = schema.integer({ default = 50, between = { 1, 500 } }),
  offset = schema.integer({ default = 0, min = 0 }),
})

S.events_query = schema.object({
  project_id = schema.string({ max_length = 64 }),
  job_id = schema.string({ max_length = 64 }),
  last_event_id = schema.integer({ min = 0, description = "Resume after this event (or the Last-Event-ID header)" }),
})

return S
