-- services/outputs.lua — what workflows read and write: stored inputs in, artifacts with sidecars out.
--
-- Contract: load_image(ref) opens a stored image (a /files/... URL or an
-- artifact path) and fails the job with INPUT_NOT_FOUND / INVALID_INPUT when
-- it is not one — never a path outside the store. save_image() and
-- save_video() write an artifact through the store (atomic, sidecar with the
-- caller's metadata: provider, prompt, seed, draft ...) plus a 256-px JPEG
-- thumbnail, and return the record a job result lists:
--   { id, kind, url, path, content_type, width, height, duration?, thumb_url, meta }
local image = require("moonreel.image")
local store = require("moonreel.store")
local video = require("moonreel.video")
local workflow = require("moonreel.workflow")

local M = {}

M.THUMB_SIDE = 256

function M.load_image(ref, field)
  field = field or "image"
  local side = type(ref) == "string" and store.sidecar(ref) or nil
  if side == nil then workflow.fail("INPUT_NOT_FOUND", ("%s: no stored file at '%s'"):format(field, tostring(ref))) end
  local ok, img = pcall(image.load, store.file_path(side.url))
  if not ok then
    workflow.fail("INVALID_INPUT", ("%s: not a readable image (%s)"):format(field, tostring(img):gsub("^[^:]*:%d+: ", "")))
  end
  return img, side
end

local function record(a, extra)
  local out = { id = a.id, kind = a.kind, url = a.url, path = a.path, content_type = a.content_type,
                thumb_url = a.thumb_url }
  for k, v in pairs(extra) do out[k] = v end
  return out
end

local function thumbnail(url, handle)
  local thumb = handle:fit(M.THUMB_SIDE, M.THUMB_SIDE)
  return store.put_thumbnail(url, thumb:encode("jpeg", { quality = 85 }), "jpg")
end

-- fmt: "png" (default; keeps alpha) or "jpeg".
function M.save_image(handle, meta, fmt)
  fmt = fmt or "png"
  meta = meta or {}
  meta.width, meta.height = handle:width(), handle:height()
  local a = store.put(handle:encode(fmt), {
    kind = "image", ext = fmt == "jpeg" and "jpg" or fmt, content_type = "image/" .. fmt, meta = meta })
  a.thumb_url = thumbnail(a.url, handle)
  return record(a, { width = meta.width, height = meta.height, draft = meta.draft, provider = meta.provider,
                     seed = meta.seed })
end

-- Stores a finished video file (e.g. a provider's temp output) and removes the source file.
function M.save_video(path, meta)
  local f = assert(io.open(path, "rb"))
  local bytes = f:read("*a")
  f:close()
  local info = video.probe(path)
  meta = meta or {}
  meta.width, meta.height, meta.duration, meta.fps = info.width, info.height, info.duration, info.fps
  local a = store.put(bytes, { kind = "video", ext = "mp4", content_type = "video/mp4", meta = meta })
  os.remove(path)
  a.thumb_url = thumbnail(a.url, video.thumbnail(store.file_path(a.url), M.THUMB_SIDE))
  return record(a, { width = info.width, height = info.height, duration = info.duration, fps = info.fps,
                     draft = meta.draft, provider = meta.provider, seed = meta.seed })
end

return M
