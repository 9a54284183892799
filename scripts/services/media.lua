-- services/media.lua — uploads for the storyboard: type decided by the bytes, stored through the engine.
--
-- A client's filename and Content-Type are hints at most: the kind comes from
-- the file's leading bytes (magic numbers), and the stored name is the
-- store's own id — never a path the client chose.
local errors = require("moonreel.errors")
local engine = require("moonreel.engine")
local store = require("moonreel.store")

local M = {}

local MB = 1024 * 1024

-- { kind, ext, content_type } from the leading bytes, or nil.
function M.sniff(data)
  local head = data:sub(1, 16)
  local function at(pos, s) return head:sub(pos, pos + #s - 1) == s end
  if at(1, "\137PNG\r\n\26\n") then return { kind = "image", ext = "png", content_type = "image/png" } end
  if at(1, "\255\216\255") then return { kind = "image", ext = "jpg", content_type = "image/jpeg" } end
  if at(1, "RIFF") and at(9, "WEBP") then return { kind = "image", ext = "webp", content_type = "image/webp" } end
  if at(1, "RIFF") and at(9, "WAVE") then return { kind = "audio", ext = "wav", content_type = "audio/wav" } end
  if at(1, "ID3") or (#head >= 2 and head:byte(1) == 0xFF and head:byte(2) >= 0xE0) then
    return { kind = "audio", ext = "mp3", content_type = "audio/mpeg" }
  end
  if at(1, "OggS") then return { kind = "audio", ext = "ogg", content_type = "audio/ogg" } end
  if at(1, "fLaC") then return { kind = "audio", ext = "flac", content_type = "audio/flac" } end
  if at(5, "ftypM4A") then return { kind = "audio", ext = "m4a", content_type = "audio/mp4" } end
  if at(5, "ftyp") then return { kind = "video", ext = "mp4", content_type = "video/mp4" } end
  return nil
end

local function limit(key, default_mb)
  local v = engine.config("app." .. key)
  return (type(v) == "number" and v) or default_mb * MB
end

-- Checks an upload (size, kind by bytes) and stores it; returns the sidecar.
function M.store_upload(upload, want_kind, max_bytes, meta)
  if upload == nil then
    errors.validation("a file is required (multipart field 'file')", { fields = { { field = "file", issue = "required" } } })
  end
  if upload.size == 0 then errors.validation("the uploaded file is empty", { fields = { { field = "file", issue = "empty" } } }) end
  if upload.size > max_bytes then
    errors.too_large(("the file is %d bytes; the limit is %d"):format(upload.size, max_bytes), { limit = max_bytes })
  end
  local t = M.sniff(upload.data)
  if t == nil or t.kind ~= want_kind then
    errors.unsupported_media(("expected an %s file; its bytes say %s"):format(want_kind, t and t.content_type or "unknown"),
                             { expected = want_kind, detected = t and t.content_type or "unknown" })
  end
  if t.kind == "image" then
    -- Proved decodable before anything is stored: the header (a bomb is refused
    -- before pixels are allocated), then the pixels at reduced scale.
    local image = require("moonreel.image")
    local ok, err = pcall(image.probe, upload.data)
    if ok then ok, err = pcall(image.thumbnail, upload.data, 64) end
    if not ok then require("services.uploads").media_error(err) end
  end
  meta = meta or {}
  meta.source = "upload"
  meta.original_filename = upload.filename
  return store.put(upload.data, { kind = t.kind, ext = t.ext, content_type = t.content_type, meta = meta })
end

-- What a card needs to know of an already stored file: type, size, thumbnail.
-- An URL that names no stored artifact is a 400 on the media_url field.
function M.describe_stored(url)
  local side = type(url) == "string" and store.sidecar(url) or nil
  if side == nil then
    errors.validation("media_url must be a stored file (/files/...)",
                      { fields = { { field = "media_url", issue = "no stored file at this URL" } } })
  end
  local kind = side.kind == "video" and "video" or (side.kind == "image" and "image" or "none")
  return { media_type = kind, media_url = side.url, thumb_url = side.thumb_url, width = side.width,
           height = side.height, duration = side.duration }
end

function M.max_music_bytes() return limit("max_music_bytes", 50) end
function M.max_image_bytes() return limit("max_image_bytes", 10) end

return M
