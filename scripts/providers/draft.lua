-- providers/draft.lua — the offline default: storyboard panels drawn from the prompt and seed.
--
-- Works with no model and no network, in milliseconds. Deterministic: the same
-- prompt, seed, size and kind give byte-identical output, so drafts are
-- stable across retries and machines. An image is a storyboard panel: a
-- palette and a composition (horizon, subjects on the thirds) chosen by a PRNG
-- seeded from the prompt and seed, a caption box with the prompt word-wrapped,
-- a "DRAFT" label and the seed. img2img keeps the source underneath (tinted by
-- the palette, more with higher strength); mask is the subjects' white-on-black
-- one-channel matte; video pans or zooms across the still (Ken Burns) into an
-- H.264 MP4. Every result's metadata says draft = true.
local image = require("moonreel.image")
local store = require("moonreel.store")
local video = require("moonreel.video")

local M = { name = "draft", kinds = { image = true, video = true, mask = true },
            description = "Offline storyboard drafts: panels from prompt + seed, pan/zoom clips (no model)" }

-- -- Deterministic randomness -------------------------------------------------

local function fnv1a(s)
  local h = 2166136261
  for i = 1, #s do h = bit.tobit(bit.bxor(h, s:byte(i)) * 16777619) end
  return h
end

-- xorshift32: returns a function giving floats in [0, 1).
local function rng(seed)
  local x = bit.tobit(seed ~= 0 and seed or 0x9E3779B9)
  return function()
    x = bit.bxor(x, bit.lshift(x, 13))
    x = bit.bxor(x, bit.rshift(x, 17))
    x = bit.bxor(x, bit.lshift(x, 5))
    return (x % 4294967296) / 4294967296
  end
end

local function hsv(h, s, v)
  local i = math.floor(h * 6) % 6
  local f = h * 6 - math.floor(h * 6)
  local p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
  local rgb = ({ { v, t, p }, { q, v, p }, { p, v, t }, { p, q, v }, { t, p, v }, { v, p, q } })[i + 1]
  return { math.floor(rgb[1] * 255 + 0.5), math.floor(rgb[2] * 255 + 0.5), math.floor(rgb[3] * 255 + 0.5) }
end

local function clamp_size(n) return math.max(64, math.min(4096, math.floor(n or 512))) end

-- -- Composition --------------------------------------------------------------

-- Everything the panel and its mask share, decided once per request.
local function plan(req)
  local w, h = clamp_size(req.width), clamp_size(req.height)
  local r = rng(fnv1a((req.prompt or "") .. "|" .. tostring(req.seed or 0)))
  local hue = r()
  local p = {
    w = w, h = h,
    sky = hsv(hue, 0.25 + 0.2 * r(), 0.85), sky2 = hsv(hue, 0.35, 0.65),
    ground = hsv((hue + 0.45) % 1, 0.35 + 0.2 * r(), 0.45), accent = hsv((hue + 0.5) % 1, 0.7, 0.9),
    ink = { 30, 30, 36 }, horizon = math.floor(h * (0.5 + 0.2 * r())), subjects = {},
  }
  local thirds = { 1 / 3, 2 / 3, 1 / 2 }
  for i = 1, 1 + math.floor(r() * 3) do
    local size = h * (0.12 + 0.12 * r())
    p.subjects[i] = { x = math.floor(w * thirds[(i - 1) % 3 + 1] + (r() - 0.5) * w * 0.08),
                      y = p.horizon, size = math.floor(size), round = r() < 0.5,
                      colour = hsv((hue + 0.1 * i) % 1, 0.5, 0.35 + 0.3 * r()) }
  end
  p.sun = { x = math.floor(w * (0.15 + 0.7 * r())), y = math.floor(p.horizon * (0.25 + 0.3 * r())),
            r = math.floor(h * (0.05 + 0.05 * r())) }
  return p
end

-- A subject: a head and a body standing on the horizon (figures read best in thumbnails).
local function draw_subject(img, s, colour)
  local body_w, body_h = math.floor(s.size * 0.6), s.size
  if s.round then
    img:circle(s.x, s.y - body_h, math.floor(s.size * 0.3), colour)
    local top = s.y - body_h + math.floor(s.size * 0.25)
    img:rect(s.x - math.floor(body_w / 2), top, body_w, s.y - top, colour)
  else
    img:rect(s.x - body_w, s.y - body_h, body_w * 2, body_h, colour)
    img:rect(s.x - math.floor(body_w / 3), s.y - body_h - math.floor(s.size * 0.4), math.floor(body_w * 2 / 3),
             math.floor(s.size * 0.4), colour)
  end
end

local function wrap(text, size, max_w, max_lines)
  local lines, line = {}, ""
  for word in text:gmatch("%S+") do
    local try = line == "" and word or (line .. " " .. word)
    if image.text_size(try, size) > max_w and line ~= "" then
      lines[#lines + 1] = line
      line = word
      if #lines == max_lines then break end
    else
      line = try
    end
  end
  if line ~= "" and #lines < max_lines then lines[#lines + 1] = line end
  return lines
end

local function panel(req)
  local p = plan(req)
  local w, h = p.w, p.h
  local img
  if req.image then
    img = req.image:convert("rgb"):cover(w, h)
    local tint = image.new(w, h, p.sky)
    img = img:composite(tint, 0, 0, 0.15 + 0.6 * (req.strength or 0.6))
  else
    img = image.new(w, h, p.sky)
    local bands = 6
    for i = 1, bands do  -- a stepped sky gradient towards the horizon
      local y = math.floor(p.horizon * (i - 1) / bands)
      local mix = i / bands
      img:rect(0, y, w, math.ceil(p.horizon / bands) + 1, {
        math.floor(p.sky[1] * (1 - mix) + p.sky2[1] * mix), math.floor(p.sky[2] * (1 - mix) + p.sky2[2] * mix),
        math.floor(p.sky[3] * (1 - mix) + p.sky2[3] * mix) })
    end
    img:circle(p.sun.x, p.sun.y, p.sun.r, p.accent)
    img:rect(0, p.horizon, w, h - p.horizon, p.ground)
  end
  img:line(0, p.horizon, w, p.horizon, p.ink, math.max(1, math.floor(h / 300)))
  for _, s in ipairs(p.subjects) do draw_subject(img, s, s.colour) end
  -- Caption box with the prompt, bottom of the panel.
  local size = math.max(10, math.floor(h / 28))
  local pad = math.floor(size * 0.6)
  local lines = wrap(req.prompt ~= "" and req.prompt or "(no prompt)", size, w - 4 * pad, 3)
  local box_h = #lines * math.floor(size * 1.6) + 2 * pad
  img:rect(0, h - box_h, w, box_h, { 250, 248, 240 })  -- opaque: a blend would copy the whole frame
  for i, l in ipairs(lines) do
    img:text(l, 2 * pad, h - box_h + pad + (i - 1) * math.floor(size * 1.6), size, p.ink)
  end
  -- Labels and the panel border.
  img:text("DRAFT", pad, pad, size, { 200, 30, 30 })
  local seed_label = "seed " .. tostring(req.seed or 0)
  img:text(seed_label, w - pad - image.text_size(seed_label, size), pad, size, p.ink)
  img:rect(0, 0, w, h, p.ink, math.max(2, math.floor(h / 120)))
  return img, p
end

local function mask(req)
  local p = plan(req)
  local m = image.new(p.w, p.h, "#000000"):convert("gray")
  for _, s in ipairs(p.subjects) do draw_subject(m, s, "#ffffff") end
  return m
end

local function metadata(req, extra)
  local m = { provider = "draft", draft = true, prompt = req.prompt, seed = req.seed, width = clamp_size(req.width),
              height = clamp_size(req.height), kind = req.kind }
  for k, v in pairs(extra or {}) do m[k] = v end
  return m
end

-- -- Video: pan / zoom across the still -------------------------------------

local MOTIONS = {
  zoom_in = function(t) return 1 - 0.2 * t, 0.5, 0.5 end,
  zoom_out = function(t) return 0.8 + 0.2 * t, 0.5, 0.5 end,
  pan_left = function(t) return 0.8, 1 - t, 0.5 end,
  pan_right = function(t) return 0.8, t, 0.5 end,
}

local function clip(req, ctx)
  local w, h = clamp_size(req.width), clamp_size(req.height)
  local still = req.image and req.image:convert("rgb"):cover(w, h) or panel(req)
  local fps = req.fps or 12
  local n = math.max(1, math.floor((req.duration_s or 2) * fps + 0.5))
  local motion = MOTIONS[req.motion or "zoom_in"] or MOTIONS.zoom_in
  local out = store.temp_path("mp4")
  local writer = video.writer(out, { width = w, height = h, fps = fps, crf = 23 })
  local step = math.max(1, math.floor(n / 10))
  for i = 0, n - 1 do
    local zoom, fx, fy = motion(n > 1 and i / (n - 1) or 0)
    local cw, ch = math.floor(w * zoom), math.floor(h * zoom)
    local x, y = math.floor((w - cw) * fx), math.floor((h - ch) * fy)
    writer:write(still:crop(x, y, cw, ch):resize(w, h))
    if i % step == 0 and ctx then ctx.progress(100 * (i + 1) / n, "frame " .. (i + 1) .. " of " .. n) end
  end
  writer:close()
  return out, n
end

function M.generate(req, ctx)
  if req.kind == "image" then
    if ctx then ctx.progress(10, "composing panel") end
    local img = panel(req)
    if ctx then ctx.progress(100, "panel drawn") end
    return { image = img, metadata = metadata(req, { strength = req.image and req.strength or nil }) }
  elseif req.kind == "mask" then
    return { image = mask(req), metadata = metadata(req) }
  elseif req.kind == "video" then
    local path, frames = clip(req, ctx)
    return { path = path, metadata = metadata(req, { frames = frames, fps = req.fps or 12, motion = req.motion or "zoom_in" }) }
  end
  require("moonreel.workflow").fail("UNSUPPORTED_KIND", ("the draft provider cannot make '%s'"):format(tostring(req.kind)))
end

return M
