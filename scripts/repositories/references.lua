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
}
-- column holds JSON text with URLs somewhere inside
local EMBEDDED = {
  { "clips", "generated_images" }, { "clips", "generated_videos" },
  { "characters", "reference_images" }, { "cards", "metadata" },
}

local function add(set, url)
  if type(url) == "string" then
    local path = url:match("^/files/(.+)$")
    if path then set[path] = true end
  end
end

-- A set of artifact paths (relative to the store root).
function M.referenced_paths()
  local set = {}
  for _, tc in ipairs(SINGLE) do
    for _, row in ipairs(db.query(('SELECT "%s" AS v FROM "%s" WHERE "%s" IS NOT NULL'):format(tc[2], tc[1], tc[2]))) do
      add(set, row.v)
    end
  end
  for _, tc in ipairs(EMBEDDED) do
    for _, row in ipairs(db.query(('SELECT "%s" AS v FROM "%s"'):format(tc[2], tc[1]))) do
      if type(row.v) == "string" then
        for url in row.v:gmatch('"(/files/[^"]+)"') do add(set, url) end
      end
    end
  end
  return set
end

-- Hard-deletes cards soft-deleted before `cutoff_iso`; returns how many.
function M.purge_deleted_cards(cutoff_iso)
  local n = db.exec('DELETE FROM "cards" WHERE "deleted_at" IS NOT NULL AND "deleted_at" < ?', cutoff_iso)
  return n
end

return M
