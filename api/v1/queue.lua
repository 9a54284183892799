-- api/v1/queue.lua — /api/v1/queue: submit, watch and steer jobs.
local router = require("moonreel.router")
local S = require("schemas.jobs")
local queue = require("services.queue")

local r = router.new({ prefix = "/api/v1/queue" })
local tags = { "queue" }

-- 202 for a new job; 200 when an Idempotency-Key or job_id names one already accepted.
r:post("/jobs", { summary = "Submit a job to a workflow", tags = tags, body = S.job_submit, status = 202 },
       function(req, res)
  local spec = req.data
  spec.idempotency_key = req.headers["idempotency-key"]
  local job, created = queue.submit(spec)
  res:status(created and 202 or 200)
  return queue.accepted(job)
end)

r:get("/jobs", { summary = "List jobs, newest first", tags = tags, query = S.job_list_query }, function(req)
  return queue.list(req.args)
end)

r:get("/jobs/{id}", { summary = "A job, with its queue position while pending", tags = tags }, function(req)
  return queue.get(req.params.id)
end)

r:delete("/jobs/{id}", { summary = "Cancel a job (pending: at once; running: at its next step)", tags = tags },
         function(req)
  return queue.cancel(req.params.id)
end)

r:post("/jobs/{id}/retry", { summary = "Run a failed or cancelled job again", tags = tags, status = 202 },
       function(req, res)
  res:status(202)
  return queue.retry(req.params.id)
end)

r:put("/jobs/{id}/priority", { summary = "Change a pending job's priority", tags = tags, body = S.priority },
      function(req)
  return queue.set_priority(req.params.id, req.data.priority)
end)

r:get("/status", { summary = "Counts by status, workers, paused", tags = tags }, function()
  return queue.status()
end)

r:post("/pause", { summary = "Stop starting jobs (running ones finish)", tags = tags }, function()
  return queue.pause()
end)

r:post("/resume", { summary = "Start jobs again", tags = tags }, function()
  return queue.resume()
end)

r:post("/clear", { summary = "Delete finished jobs", tags = tags, body = S.clear }, function(req)
  return queue.clear(req.data.before)
end)

-- Server-sent events; resume with the Last-Event-ID header (or ?last_event_id=).
r:get("/events", { summary = "Job events as server-sent events", tags = tags, query = S.events_query },
      function(req, res)
  local since = tonumber(req.headers["last-event-id"] or "") or req.args.last_event_id or 0
  res:header("Cache-Control", "no-cache")
  res:header("X-Accel-Buffering", "no")
  res:stream(queue.event_stream(since, req.args), "text/event-stream")
end)

return r
