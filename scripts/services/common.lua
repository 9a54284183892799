-- services/common.lua — the checks every storyboard service shares.
local errors = require("moonreel.errors")
local json = require("moonreel.json")

local M = {}

-- The entity, or a 404 naming the kind and id ("Project with id 'x' not found").
function M.found(entity, kind, id)
  if entity == nil then errors.not_found(("%s with id '%s' not found"):format(kind, tostring(id)), { id = id }) end
  return entity
end

-- A body field that references another entity must point at one that exists:
-- otherwise 400 VALIDATION_ERROR shaped like the schema errors.
function M.reference(field, repo, id, kind)
  if id == nil or id == json.null then return end
  if not repo:exists(id) then
    errors.validation("request body is invalid", {
      fields = json.array({ { field = field, issue = ("no %s with id '%s'"):format(kind, tostring(id)) } }),
    })
  end
end

-- The list envelope of every collection endpoint.
function M.page(items, total, limit, offset)
  return { items = json.array(items), total = total, limit = limit, offset = offset }
end

-- Copies the keys of `src` present in `allowed` (a set) into a new table.
function M.pick(src, allowed)
  local out = {}
  for k, v in pairs(src) do
    if allowed[k] then out[k] = v end
  end
  return out
end

return M
