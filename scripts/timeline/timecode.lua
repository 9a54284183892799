-- timeline/timecode.lua — frame rates, frame counts and SMPTE timecode (non-drop and drop-frame).
--
-- Contract: a rate is a rational {num, den} with its nominal (integer) frame
-- count per timecode second: 23.976 = 24000/1001 (nominal 24), 29.97 =
-- 30000/1001 (30), 59.94 = 60000/1001 (60); 24, 25, 30, 50, 60 are whole.
-- Times become frames once (frames_at rounds to the nearest frame) and every
-- format prints those integers. Drop-frame (29.97, 59.94 only) skips frame
-- numbers 00 and 01 (00–03 at 59.94) at the start of every minute except each
-- tenth, so 1799 → 00:00:59;29, 1800 → 00:01:00;02, 17982 → 00:10:00;00.
local M = {}

local RATES = {
  ["23.976"] = { num = 24000, den = 1001, nominal = 24 }, ["24"] = { num = 24, den = 1, nominal = 24 },
  ["25"] = { num = 25, den = 1, nominal = 25 }, ["29.97"] = { num = 30000, den = 1001, nominal = 30 },
  ["30"] = { num = 30, den = 1, nominal = 30 }, ["50"] = { num = 50, den = 1, nominal = 50 },
  ["59.94"] = { num = 60000, den = 1001, nominal = 60 }, ["60"] = { num = 60, den = 1, nominal = 60 },
}
M.NAMES = { "23.976", "24", "25", "29.97", "30", "50", "59.94", "60" }

-- The rate for "24", "29.97", 23.976 ... (nil for unknown rates).
function M.rate(name)
  local key = type(name) == "number" and (name % 1 == 0 and ("%d"):format(name) or tostring(name)) or name
  local r = RATES[key or "24"]
  if not r then return nil end
  return { name = key or "24", num = r.num, den = r.den, nominal = r.nominal, ntsc = r.den == 1001,
           drop_capable = r.den == 1001 and r.nominal % 30 == 0 }
end

-- Seconds → the nearest whole frame.
function M.frames_at(seconds, rate)
  return math.floor(seconds * rate.num / rate.den + 0.5)
end

-- Frames → exact seconds as a rational string "N/Ds" (FCPXML), reduced; "0s" for 0.
local function gcd(a, b)
  while b ~= 0 do a, b = b, a % b end
  return a
end
function M.rational(frames, rate)
  if frames == 0 then return "0s" end
  local n, d = frames * rate.den, rate.num
  local g = gcd(math.abs(n), d)
  n, d = n / g, d / g
  if d == 1 then return ("%ds"):format(n) end
  return ("%d/%ds"):format(n, d)
end

function M.seconds(frames, rate) return frames * rate.den / rate.num end

local function drop_count(rate) return rate.nominal / 15 end  -- 2 at 29.97, 4 at 59.94

-- Frames → "HH:MM:SS:FF" (or "HH:MM:SS;FF" drop-frame).
function M.to_timecode(frames, rate, drop)
  assert(frames >= 0, "timecode: negative frame count")
  local fps = rate.nominal
  local n = frames
  if drop then
    assert(rate.drop_capable, "timecode: drop-frame needs 29.97 or 59.94")
    local d = drop_count(rate)
    local per_10 = fps * 600 - 9 * d
    local per_min = fps * 60 - d
    local tens, rem = math.floor(n / per_10), n % per_10
    n = n + 9 * d * tens + (rem > d and d * math.floor((rem - d) / per_min) or 0)
  end
  local ff = n % fps
  local s = math.floor(n / fps)
  return ("%02d:%02d:%02d%s%02d"):format(math.floor(s / 3600) % 24, math.floor(s / 60) % 60, s % 60,
                                         drop and ";" or ":", ff)
end

-- "HH:MM:SS:FF" / "HH:MM:SS;FF" → frames (the separator before FF decides drop-frame unless given).
function M.from_timecode(tc, rate, drop)
  local h, m, s, sep, f = tc:match("^(%d%d):(%d%d):(%d%d)([:;.,])(%d%d)$")
  assert(h, "timecode: expected HH:MM:SS:FF, got " .. tostring(tc))
  if drop == nil then drop = sep == ";" or sep == "," end
  h, m, s, f = tonumber(h), tonumber(m), tonumber(s), tonumber(f)
  local n = ((h * 60 + m) * 60 + s) * rate.nominal + f
  if drop then
    local minutes = h * 60 + m
    n = n - drop_count(rate) * (minutes - math.floor(minutes / 10))
  end
  return n
end

return M
