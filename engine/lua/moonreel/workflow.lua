-- moonreel.workflow — declaring workflows, and running one inside a job.
--
-- A workflow is a file under workflows/ returning
--   workflow.define{ description = "...", input = schema.object{...},
--                    outputs = { images = "list of image artifacts" },
--                    run = function(ctx, input) ... return result end,
--                    complete = function(ctx, result, input) ... end }  -- optional
-- Its name is the file name (workflows/txt2img.lua → "txt2img").
--
-- Contract:
--   * define() checks the declaration when the file loads, so a malformed
--     workflow fails `moonreel check` and a reload, never a job.
--   * execute() is what a job worker (or `moonreel run`) calls with a job
--     current on its thread (moonreel.jobs). It validates the stored input
--     against the workflow's schema, calls run(ctx, input), then records the
--     result and runs complete() in one database transaction — so what
--     complete() writes (a clip's gallery) commits exactly when the job does.
--     It never raises: it returns {status = "completed"} or
--     {status = "failed", code, message, retryable, traceback}.
--   * ctx.progress(pct, step) reports progress and is the place a cancelled
--     or timed-out job stops: it raises, unwinding the workflow. ctx.check()
--     does the same without reporting. ctx.fail(code, message, {retryable =
--     true}) ends the attempt with that error; a retryable one runs again
--     after a backoff while attempts remain. Any other error fails the job with
--     code WORKFLOW_ERROR and the error's message (the traceback goes to the log).
local json = require("moonreel.json")
local jobs = require("moonreel.jobs")
local log = require("moonreel.log")
local schema = require("moonreel.schema")

local M = {}

local DEFINED = setmetatable({}, { __mode = "k" })

local WorkflowError = {}
WorkflowError.__index = WorkflowError
WorkflowError.__tostring = function(e) return e.code .. ": " .. e.message end

local STOPPED = setmetatable({ code = "STOPPED", message = "the job was asked to stop" }, WorkflowError)

function M.define(spec)
  if type(spec) ~= "table" then error("workflow.define expects a table", 2) end
  if type(spec.run) ~= "function" then error("workflow.define: run must be a function(ctx, input)", 2) end
  if spec.complete ~= nil and type(spec.complete) ~= "function" then
    error("workflow.define: complete must be a function(ctx, result, input)", 2)
  end
  if spec.description ~= nil and type(spec.description) ~= "string" then
    error("workflow.define: description must be a string", 2)
  end
  spec.input = spec.input or schema.object({}, { additional = true })
  if not schema.is_schema(spec.input) then error("workflow.define: input must be a schema", 2) end
  spec.outputs = spec.outputs or {}
  DEFINED[spec] = true
  return spec
end

function M.is_workflow(v) return type(v) == "table" and DEFINED[v] == true end

local function registry() return require("moonreel.app").workflows() end

function M.get(name) return registry()[name] end

-- name → { name, description, input (schema), outputs }, sorted by name.
function M.list()
  local out = {}
  for name, wf in pairs(registry()) do
    out[#out + 1] = { name = name, description = wf.description or "", input = wf.input, outputs = wf.outputs,
                      kinds = wf.kinds }
  end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

-- -- The job context ----------------------------------------------------------

local function stop_if_asked()
  if jobs.stop_reason() then error(STOPPED, 0) end
end

function M.fail(code, message, opts)
  error(setmetatable({ code = tostring(code), message = tostring(message or code),
                       retryable = opts and opts.retryable or false }, WorkflowError), 2)
end

function M.context(job, input)
  local ctx = { job = job, input = input }
  -- Log lines carry the job's id and workflow next to the caller's fields.
  local function logger(level)
    return function(msg, f)
      local fields = { job_id = job.id, workflow = job.workflow }
      for k, v in pairs(f or {}) do fields[k] = v end
      log[level](msg, fields)
    end
  end
  ctx.log = { debug = logger("debug"), info = logger("info"), warn = logger("warn"), error = logger("error") }
  function ctx.progress(pct, step)
    jobs.progress(pct, step)
    stop_if_asked()
  end
  function ctx.cancelled() return jobs.stop_reason() ~= nil end
  -- A view of ctx whose progress maps 0–100 onto lo–hi of this job's bar (one image of a batch).
  function ctx.scoped(lo, hi)
    local sub = setmetatable({}, { __index = ctx })
    function sub.progress(pct, step) ctx.progress(lo + (hi - lo) * math.max(0, math.min(100, pct)) / 100, step) end
    return sub
  end
  ctx.check = stop_if_asked
  ctx.fail = M.fail
  -- Holds a permit of `name` (at most `limit` holders in the process) while fn runs.
  function ctx.with_permit(name, limit, fn, ...)
    local permit = jobs.acquire(name, limit)
    if not permit then error(STOPPED, 0) end
    local res = { pcall(fn, ...) }
    permit:release()
    if not res[1] then error(res[2], 0) end
    return unpack(res, 2)
  end
  return ctx
end

-- -- Running ------------------------------------------------------------------

local function on_error(err)
  if getmetatable(err) == WorkflowError then return err end
  -- A primitive's HTTP-shaped error (an absent model, an image too large) keeps its code.
  if require("moonreel.errors").is(err) then
    return setmetatable({ code = err.code, message = err.message, retryable = false }, WorkflowError)
  end
  local message = type(err) == "string" and err or ("error object: " .. tostring(err))
  return { message = message, traceback = debug.traceback(message, 2) }
end

local function failed(code, message, extra)
  local out = { status = "failed", code = code, message = message }
  for k, v in pairs(extra or {}) do out[k] = v end
  return out
end

function M.execute()
  local job = jobs.current()
  if not job then return failed("INTERNAL_ERROR", "no job is running") end
  local wf = M.get(job.workflow)
  if not wf then return failed("UNKNOWN_WORKFLOW", ("no workflow named '%s'"):format(job.workflow)) end
  local input, errs = schema.validate(wf.input, job.input == json.null and json.object() or job.input)
  if not input then
    return failed("VALIDATION_ERROR", ("input does not match the workflow: %s %s"):format(errs[1].field, errs[1].issue))
  end
  local ctx = M.context(job, input)
  local ok, result = xpcall(wf.run, on_error, ctx, input)
  if jobs.stop_reason() then return { status = "stopped" } end
  if not ok then
    if getmetatable(result) == WorkflowError then
      return failed(result.code, result.message, { retryable = result.retryable })
    end
    return failed("WORKFLOW_ERROR", result.message, { traceback = result.traceback })
  end
  if result == nil then result = json.object() end
  local done, err = xpcall(function()
    require("moonreel.db").tx(function()
      if wf.complete then wf.complete(ctx, result, input) end
      jobs.complete(result)
    end)
  end, on_error)
  if not done then
    local e = getmetatable(err) == WorkflowError and err or { message = err.message, traceback = err.traceback }
    return failed(e.code or "WORKFLOW_ERROR", "recording the result failed: " .. tostring(e.message),
                  { traceback = e.traceback, retryable = e.retryable })
  end
  return { status = "completed" }
end

return M
