-- services/uploads.lua — the media board's upload: check the bytes, store, thumbnail, card.
--
-- Nothing is stored until the file has proved to be what its bytes claim:
-- images are probed (dimensions from the header, so a decompression bomb is
-- refused before any pixel is allocated) and thumbnailed in memory first;
-- videos need a file to probe, so they are stored and removed again if the
-- probe fails. Primitive errors become 4xx envelopes, never 500s.
local errors = require("moonreel.errors")
local engine = require("moonreel.engine")
local store = require("moonreel.store")
local media = require("services.media")

local M = {}

M.THUMB_SIDE = 256

-- Maps a primitive's error text to the right client error (also used by services.media).
local function media_error(err)
  local msg = tostring(err):gsub("^[^:]*:%d+: ", "")
  if msg:find("limit", 1, true) then errors.too_large(msg) end
  if msg:find("not an image", 1, true) or msg:find("no video stream", 1, true) or
     msg:find("unrecognised", 1, true) or msg:find("not a media file", 1, true) then
    errors.unsupported_media(msg)
  end
  errors.raise(400, "INVALID_MEDIA", msg)
end

M.media_error = media_error

local function max_file_bytes()
  local v = engine.config("media.max_file_bytes")
  return type(v) == "number" and v or 512 * 1024 * 1024
end

local function encode_thumb(handle)
  local ok, bytes = pcall(function() return handle:encode("jpeg", { quality = 85 }) end)
  if not ok then media_error(bytes) end
  return bytes, "jpg"
end

local function ingest_image(upload, kind)
  local image = require("moonreel.image")
  local ok, info = pcall(image.probe, upload.data)
  if not ok then media_error(info) end
  local ok2, thumb = pcall(image.thumbnail, upload.data, M.THUMB_SIDE)
  if not ok2 then media_error(thumb) end
  local thumb_bytes, thumb_ext = encode_thumb(thumb)
  local a = store.put(upload.data, { kind = "image", ext = kind.ext, content_type = kind.content_type, meta = {
    source = "upload", original_filename = upload.filename, width = info.width, height = info.height } })
  local thumb_url = store.put_thumbnail(a.url, thumb_bytes, thumb_ext)
  return { media_type = "image", media_url = a.url, thumb_url = thumb_url, width = info.width,
           height = info.height }
end

local function ingest_video(upload, kind)
  local video = require("moonreel.video")
  local a = store.put(upload.data, { kind = "video", ext = kind.ext, content_type = kind.content_type,
                                     meta = { source = "upload", original_filename = upload.filename } })
  local path = store.file_path(a.url)
  local ok, result = pcall(function()
    local info = video.probe(path)
    local thumb = video.thumbnail(path, M.THUMB_SIDE)
    return { info = info, thumb = thumb }
  end)
  if not ok then
    store.remove(a.url)
    media_error(result)
  end
  local thumb_bytes, thumb_ext = encode_thumb(result.thumb)
  local thumb_url = store.put_thumbnail(a.url, thumb_bytes, thumb_ext)
  return { media_type = "video", media_url = a.url, thumb_url = thumb_url, width = result.info.width,
           height = result.info.height, duration = result.info.duration }
end

-- Stores an upload; returns the card fields {media_type, media_url, thumb_url, width, height, duration}.
function M.ingest(upload)
  if upload == nil then
    errors.validation("a file is required (multipart field 'file')", { fields = { { field = "file", issue = "required" } } })
  end
  if upload.size == 0 then
    errors.validation("the uploaded file is empty", { fields = { { field = "file", issue = "empty" } } })
  end
  if upload.size > max_file_bytes() then
    errors.too_large(("the file is %d bytes; the limit is %d"):format(upload.size, max_file_bytes()))
  end
  local kind = media.sniff(upload.data)
  if kind == nil or (kind.kind ~= "image" and kind.kind ~= "video") then
    errors.unsupported_media("expected an image or a video; its bytes say " .. (kind and kind.content_type or "unknown"))
  end
  if kind.kind == "image" then return ingest_image(upload, kind) end
  return ingest_video(upload, kind)
end

return M
