-- moonreel.spec — a small busted-style runner for Lua specs (`moonreel spec FILES`).
--
--   describe("json.encode()", function()
--     it("refuses cycles", function()
--       local t = {}; t.self = t
--       assert.error(function() json.encode(t) end, "cycle")
--     end)
--   end)
--
-- Each spec file runs in its own environment holding describe / it /
-- before_each / after_each and an `assert` with equal, same (deep), truthy,
-- falsy, is_nil, error. Prints one line per test and ends with
-- "N passed, N failed".
local inspect = require("moonreel.inspect")

local M = {}

local function deep_equal(a, b, seen)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in pairs(a) do
    if not deep_equal(v, b[k], seen) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local function fail(msg, level)
  error(msg, (level or 1) + 2)
end

local function make_assert()
  local A = {}
  function A.equal(expected, actual, msg)
    if expected ~= actual then
      fail((msg and msg .. ": " or "") .. "expected " .. inspect(expected) .. ", got " .. inspect(actual))
    end
  end
  function A.same(expected, actual, msg)
    if not deep_equal(expected, actual) then
      fail((msg and msg .. ": " or "") .. "expected (deep)\n" .. inspect(expected) .. "\ngot\n" .. inspect(actual))
    end
  end
  function A.truthy(v, msg) if not v then fail(msg or ("expected a truthy value, got " .. inspect(v))) end end
  function A.falsy(v, msg) if v then fail(msg or ("expected a falsy value, got " .. inspect(v))) end end
  function A.is_nil(v, msg) if v ~= nil then fail(msg or ("expected nil, got " .. inspect(v))) end end
  -- assert.error(fn, pattern): fn must raise, and the message must contain pattern (plain text).
  function A.error(fn, pattern, msg)
    local ok, err = pcall(fn)
    if ok then fail(msg or "expected an error, none was raised") end
    if pattern then
      local text = type(err) == "string" and err or inspect(err)
      if not text:find(pattern, 1, true) then
        fail((msg and msg .. ": " or "") .. "error " .. inspect(text) .. " does not contain " .. inspect(pattern))
      end
    end
    return err
  end
  return setmetatable(A, { __call = function(_, v, msg, ...)
    if not v then fail(msg or "assertion failed") end
    return v, msg, ...
  end })
end

function M.run(files)
  local passed, failed = 0, 0
  local lines = {}
  for _, file in ipairs(files) do
    local tests = {}
    local stack = { { name = nil, before = {}, after = {} } }
    local env = setmetatable({}, { __index = _G })
    env.assert = make_assert()
    function env.describe(name, body)
      stack[#stack + 1] = { name = name, before = {}, after = {} }
      body()
      stack[#stack] = nil
    end
    function env.it(name, body)
      local names, befores, afters = {}, {}, {}
      for _, level in ipairs(stack) do
        if level.name then names[#names + 1] = level.name end
        for _, f in ipairs(level.before) do befores[#befores + 1] = f end
        for i = #level.after, 1, -1 do table.insert(afters, 1, level.after[i]) end
      end
      names[#names + 1] = name
      tests[#tests + 1] = { name = table.concat(names, " "), body = body, before = befores, after = afters }
    end
    function env.before_each(f) local l = stack[#stack]; l.before[#l.before + 1] = f end
    function env.after_each(f) local l = stack[#stack]; l.after[#l.after + 1] = f end

    local chunk, err = loadstring(file.source, "@" .. file.path)
    if not chunk then
      failed = failed + 1
      lines[#lines + 1] = "FAIL " .. file.path .. ": " .. err
    else
      setfenv(chunk, env)
      local ok, load_err = xpcall(chunk, debug.traceback)
      if not ok then
        failed = failed + 1
        lines[#lines + 1] = "FAIL " .. file.path .. ": " .. tostring(load_err)
      end
      for _, t in ipairs(tests) do
        local ok2, terr = xpcall(function()
          for _, f in ipairs(t.before) do f() end
          t.body()
        end, debug.traceback)
        for _, f in ipairs(t.after) do pcall(f) end
        if ok2 then
          passed = passed + 1
          lines[#lines + 1] = "ok   " .. t.name
        else
          failed = failed + 1
          lines[#lines + 1] = "FAIL " .. t.name .. "\n     " .. tostring(terr):gsub("\n", "\n     ")
        end
      end
    end
  end
  lines[#lines + 1] = ("%d passed, %d failed"):format(passed, failed)
  return passed, failed, table.concat(lines, "\n")
end

return M
