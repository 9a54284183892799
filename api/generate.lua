-- api/generate.lua — the asset generator's surface: /generators, /assets, /generate, /generate/batch.
--
-- A generation is a job on the durable queue; a batch is one job per item
-- under a batch id (its jobs' idempotency keys are "<batch_id>:<n>"), so
-- GET /generate/batch/status/{id} answers for a single job or a whole batch.
local router = require("moonreel.router")
local json = require("moonreel.json")
local engine = require("moonreel.engine")
local S = require("schemas.generation")
local SJ = require("schemas.jobs")
local catalog = require("services.catalog")
local queue = require("services.queue")
local jobs = require("moonreel.jobs")

local r = router.new()
local tags = { "generate" }

r:get("/generators", { summary = "Workflows with their input schemas", tags = tags }, function()
  return catalog.generators()
end)

r:get("/assets", { summary = "Providers (what they make) and workflows", tags = tags }, function()
  return catalog.assets()
end)

local function submit(item, key)
  return queue.submit({ workflow = item.workflow or "txt2img", input = item.input, priority = item.priority,
                        project_id = item.project_id, webhook_url = item.webhook_url, idempotency_key = key })
end

r:post("/generate", { summary = "Queue one generation", tags = tags, body = S.generate, status = 202 },
       function(req, res)
  local job, created = submit(req.data, req.headers["idempotency-key"])
  res:status(created and 202 or 200)
  return queue.accepted(job)
end)

r:post("/generate/batch", { summary = "Queue several generations under one batch id", tags = tags,
                            body = S.generate_batch, status = 202 }, function(req, res)
  local items = req.data.items
  -- Every item is validated before any is queued.
  for i, item in ipairs(items) do
    local ok, err = pcall(queue.check_input, item.workflow or "txt2img", item.input)
    if not ok then
      if type(err) == "table" and err.details and err.details.fields then
        for _, f in ipairs(err.details.fields) do f.field = ("items[%d].%s"):format(i, f.field) end
      end
      error(err, 0)
    end
  end
  local batch_id = req.headers["idempotency-key"] or ("batch-" .. engine.new_id())
  local out = json.array()
  for i, item in ipairs(items) do
    item.project_id = item.project_id or req.data.project_id
    local job = submit(item, batch_id .. ":" .. i)
    out[i] = { job_id = job.id, status = job.status, workflow = job.workflow }
  end
  res:status(202)
  return { batch_id = batch_id, jobs = out, total = #out }
end)

r:get("/generate/batch/jobs", { summary = "Generation jobs, newest first", tags = tags, query = SJ.job_list_query },
      function(req)
  return queue.list(req.args)
end)

local function summarize(list)
  local counts = { pending = 0, processing = 0, completed = 0, failed = 0, cancelled = 0 }
  local pct = 0
  for _, j in ipairs(list) do
    counts[j.status] = counts[j.status] + 1
    pct = pct + (j.progress.percent or 0)
  end
  local done = counts.completed + counts.failed + counts.cancelled
  local status = done == #list and (counts.failed > 0 and "failed" or counts.cancelled == #list and "cancelled" or "completed")
                 or (counts.processing > 0 or done > 0) and "processing" or "pending"
  return counts, status, #list > 0 and pct / #list or 0
end

r:get("/generate/batch/status/{id}", { summary = "Status of a generation job or a whole batch", tags = tags },
      function(req)
  local id = req.params.id
  local job = jobs.get(id)
  if job then return job end
  local page = jobs.list({ key_prefix = id .. ":", limit = 500 })
  if page.total == 0 then require("services.common").found(nil, "Job or batch", id) end
  local counts, status, pct = summarize(page.items)
  return { batch_id = id, status = status, progress = pct, counts = counts, total = page.total, jobs = page.items }
end)

return r
