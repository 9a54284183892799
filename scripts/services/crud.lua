-- services/crud.lua — the get / update / delete every entity service shares.
--
--   local M = crud.service(repo, "Clip")   -- M.get(id), M.update(id, body), M.delete(id)
-- Services add their own rules around these (reference checks, ordering).
local common = require("services.common")

local M = {}

function M.service(repo, kind)
  local S = {}
  function S.get(id) return common.found(repo:find(id), kind, id) end
  function S.update(id, body)
    S.get(id)
    return repo:update(id, body)
  end
  function S.delete(id)
    S.get(id)
    repo:delete(id)
    return { deleted = true, id = id }
  end
  return S
end

return M
