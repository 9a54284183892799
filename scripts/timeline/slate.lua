-- timeline/slate.lua — the card that stands in for a clip with no picture yet.
--
-- A 1920x1080 PNG: scene and clip name, the clip's number on the timeline and
-- its prompt, on a neutral ground with "NO PICTURE YET". Rendered once per
-- clip content (a hash of what it shows) and kept in the store, recorded in
-- the slates table, so repeated exports reuse the same file.
local db = require("moonreel.db")
local engine = require("moonreel.engine")
local image = require("moonreel.image")
local store = require("moonreel.store")

local M = { WIDTH = 1920, HEIGHT = 1080 }

local function fnv(s)
  local h = 2166136261
  for i = 1, #s do h = bit.tobit(bit.bxor(h, s:byte(i)) * 16777619) end
  return ("%08x"):format(h % 4294967296)
end

local function wrap(text, size, max_w, max_lines)
  local lines, line = {}, ""
  for word in text:gmatch("%S+") do
    local try = line == "" and word or (line .. " " .. word)
    if image.text_size(try, size) > max_w and line ~= "" then
      lines[#lines + 1] = line
      line = word
      if #lines == max_lines then return lines end
    else
      line = try
    end
  end
  if line ~= "" then lines[#lines + 1] = line end
  return lines
end

local function render(scene_name, clip_name, number, prompt)
  local w, h = M.WIDTH, M.HEIGHT
  local img = image.new(w, h, { 38, 40, 46 })
  img:rect(60, 60, w - 120, h - 120, { 200, 200, 210 }, 4)
  img:text(("%03d"):format(number), 120, 130, 140, { 240, 240, 245 }, 8)
  img:text(scene_name, 120, 330, 56, { 200, 200, 210 }, 3)
  img:text(clip_name, 120, 420, 72, { 255, 255, 255 }, 4)
  for i, l in ipairs(wrap(prompt, 40, w - 240, 5)) do img:text(l, 120, 560 + (i - 1) * 64, 40, { 170, 175, 190 }, 2) end
  img:text("NO PICTURE YET", 120, h - 160, 40, { 230, 160, 60 }, 3)
  return img
end

-- { url, path, width, height } of the clip's slate.
function M.for_clip(clip, scene, number)
  local prompt = clip.image_prompt ~= "" and clip.image_prompt or (clip.video_prompt or "")
  local hash = fnv(table.concat({ scene.name, clip.name, tostring(number), prompt }, "\0"))
  local row = db.query_one("SELECT url, width, height FROM slates WHERE clip_id = ? AND content_hash = ?", clip.id, hash)
  if row and store.exists(row.url) then
    return { url = row.url, path = store.sidecar(row.url).path, width = row.width, height = row.height }
  end
  local a = store.put(render(scene.name, clip.name, number, prompt):encode("png"), {
    kind = "image", ext = "png", content_type = "image/png",
    meta = { source = "slate", clip_id = clip.id, width = M.WIDTH, height = M.HEIGHT } })
  db.exec("INSERT INTO slates (clip_id, content_hash, url, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?) " ..
          "ON CONFLICT(clip_id) DO UPDATE SET content_hash = excluded.content_hash, url = excluded.url, " ..
          "created_at = excluded.created_at", clip.id, hash, a.url, M.WIDTH, M.HEIGHT, engine.now_iso())
  return { url = a.url, path = a.path, width = M.WIDTH, height = M.HEIGHT }
end

return M
