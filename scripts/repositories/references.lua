-- repositories/references.lua — every stored-file URL the database still points at.
--
-- The artifact collector keeps whatever this returns. Adding a table or column
-- that holds /files/ URLs means adding it here, in one place.
local db = require("moonreel.db")
local json = require("moonreel.json")

local M = {}

-- column holds one URL
local SINGLE = {
  { "projects", "music_file" },
  { "clips", "selected_image" }, { "clips", "selected_video" },
  { "cards", "media_url" }, { "cards", "thumb_url" },
  { "slates", "url" },
}
-- column holds JSON text with URLs somewhere inside
local EMBEDDED = {
  { "clips", "generated_images" }, { "clips", "generated_videos" },
  { "characters", "reference_images" }, { "cards", "metadata" },
  { "mr_jobs", "result" },  -- a job's result keeps its artifacts until the job is cleared
}

-- Engine tables (mr_*) exist once the job queue has started.
local function exists(tbl)
  return db.query_one("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?", tbl) ~= nil
end

local function add(set, url)
  if type(url) == "string" then
    local path = url:match("^/files/(.+)$")
    if path then set[path] = true end
  end
end

-- Cards soft-deleted before the purge cutoff no longer count as references.
local function live_filter(tbl)
  if tbl == "cards" then return ' AND ("deleted_at" IS NULL OR "deleted_at" >= ?)', true end
  return "", false
end

-- A set of artifact paths (relative to the store root). With `purge_cutoff`
-- (ISO time), cards soft-deleted before it are left out, as a purge would.
function M.referenced_paths(purge_cutoff)
  local set = {}
  local function rows(sql, tbl)
    local extra, bind = live_filter(tbl)
    if bind and purge_cutoff then return db.query(sql .. extra, purge_cutoff) end
    return db.query(sql)
  end
  for _, tc in ipairs(SINGLE) do
    for _, row in ipairs(rows(('SELECT "%s" AS v FROM "%s" WHERE "%s" IS NOT NULL'):format(tc[2], tc[1], tc[2]), tc[1])) do
      add(set, row.v)
    end
  end
  for _, tc in ipairs(EMBEDDED) do
    if exists(tc[1]) then for _, row in ipairs(rows(('SELECT "%s" AS v FROM "%s" WHERE 1 = 1'):format(tc[2], tc[1]), tc[1])) do
      if type(row.v) == "string" then
        for url in row.v:gmatch('"(/files/[^"]+)"') do add(set, url) end
      end
    end end
  end
  return set
end

-- Hard-deletes cards soft-deleted before `cutoff_iso`; returns how many.
function M.purge_deleted_cards(cutoff_iso)
  local n = db.exec('DELETE FROM "cards" WHERE "deleted_at" IS NOT NULL AND "deleted_at" < ?', cutoff_iso)
  return n
end

return M
