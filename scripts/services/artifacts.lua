-- services/artifacts.lua — collecting artifacts nothing refers to any more.
--
-- An artifact is kept while any row points at it (repositories.references) or
-- while it is younger than the grace period (an upload in flight, a job that
-- has written its result but not yet recorded it). Soft-deleted cards keep
-- their media until they are purged (purge_deleted_after_s), so undo and
-- restore keep working.
local json = require("moonreel.json")
local engine = require("moonreel.engine")
local store = require("moonreel.store")
local references = require("repositories.references")

local M = {}

local function iso_before(seconds)
  local t = engine.time() - seconds
  return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(t)) .. (".%03dZ"):format(math.floor((t % 1) * 1000))
end

-- opts: older_than_s (grace, default 3600), purge_deleted_after_s (default 30 days), dry_run.
function M.collect(opts)
  opts = opts or {}
  local grace = opts.older_than_s or 3600
  local purged = 0
  local purge_cutoff = iso_before(opts.purge_deleted_after_s or 30 * 86400)
  if not opts.dry_run then purged = references.purge_deleted_cards(purge_cutoff) end
  local keep = references.referenced_paths(purge_cutoff)  -- a dry run counts the purge it did not do
  local cutoff = iso_before(grace)
  local removed, examined, kept = json.array(), 0, 0
  for _, side in ipairs(store.list()) do
    examined = examined + 1
    local young = type(side.created_at) == "string" and side.created_at > cutoff
    if keep[side.path] or (side.thumb_path and keep[side.thumb_path]) or young then
      kept = kept + 1
    else
      if not opts.dry_run then store.remove(side.path) end  -- takes the sidecar and thumbnail too
      removed[#removed + 1] = side.url
    end
  end
  return { examined = examined, kept = kept, removed = removed, cards_purged = purged,
           dry_run = opts.dry_run == true }
end

return M
