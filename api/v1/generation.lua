-- api/v1/generation.lua — /api/v1/generation: generate a clip's image or video through the queue.
local router = require("moonreel.router")
local json = require("moonreel.json")
local S = require("schemas.generation")
local generation = require("services.generation")
local queue = require("services.queue")

local r = router.new({ prefix = "/api/v1/generation" })
local tags = { "generation" }

r:post("/", { summary = "Generate an image or video for a clip (a job; results land in the clip's gallery)",
              tags = tags, body = S.generation_request, status = 202 }, function(req, res)
  local job, created = generation.submit_for_clip(req.data, req.headers["idempotency-key"])
  res:status(created and 202 or 200)
  return queue.accepted(job)
end)

-- Each request is checked before any is queued: a bad item refuses the whole batch.
r:post("/batch", { summary = "Generate for several clips at once", tags = tags, body = S.generation_batch,
                   status = 202 }, function(req, res)
  local key = req.headers["idempotency-key"]
  for _, item in ipairs(req.data.requests) do generation.request_for_clip(item) end
  local jobs = json.array()
  for i, item in ipairs(req.data.requests) do
    local job = generation.submit_for_clip(item, key and (key .. ":" .. i) or nil)
    jobs[i] = { job_id = job.id, clip_id = item.clip_id, status = job.status }
  end
  res:status(202)
  return { jobs = jobs, total = #jobs }
end)

return r
