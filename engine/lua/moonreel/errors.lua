-- moonreel.errors — HTTP errors that handlers raise and the engine turns into the envelope.
--
-- Every failure a client sees is {"error":{"code","message","details"}} with a
-- status (design decision 4). Raise one with `errors.raise(404,
-- "RESOURCE_NOT_FOUND", "Project with id 'x' not found")` or a shortcut
-- (`errors.not_found(...)`); any other Lua error becomes a 500
-- INTERNAL_ERROR whose traceback goes only to the log.
local json = require("moonreel.json")

local M = {}

local HttpError = {}
HttpError.__index = HttpError
HttpError.__tostring = function(e)
  return ("%d %s: %s"):format(e.status, e.code, e.message)
end

-- headers (optional): extra response headers, e.g. { ["Retry-After"] = "5" } with a 429.
function M.new(status, code, message, details, headers)
  assert(type(status) == "number" and status >= 400 and status <= 599, "errors.new: status must be 4xx or 5xx")
  assert(type(code) == "string", "errors.new: code must be a string")
  return setmetatable({
    status = status,
    code = code,
    message = message or code,
    details = details or json.object(),
    headers = headers,
  }, HttpError)
end

function M.is(value)
  return getmetatable(value) == HttpError
end

function M.raise(status, code, message, details, headers)
  error(M.new(status, code, message, details, headers), 0)
end

function M.bad_request(message, details) M.raise(400, "BAD_REQUEST", message, details) end
function M.validation(message, details) M.raise(400, "VALIDATION_ERROR", message, details) end
function M.not_found(message, details) M.raise(404, "RESOURCE_NOT_FOUND", message, details) end
function M.conflict(message, details) M.raise(409, "CONFLICT", message, details) end
function M.too_large(message, details) M.raise(413, "PAYLOAD_TOO_LARGE", message, details) end
function M.unsupported_media(message, details) M.raise(415, "UNSUPPORTED_MEDIA_TYPE", message, details) end

return M
