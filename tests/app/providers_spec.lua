-- tests/app/providers_spec.lua — the provider registry and the offline draft provider.
local image = require("moonreel.image")
local video = require("moonreel.video")
local providers = require("providers")
local draft = require("providers.draft")

-- A job context that records progress (what the runner gives providers).
local function recorder()
  local ctx = { seen = {} }
  function ctx.progress(pct, step) ctx.seen[#ctx.seen + 1] = pct end
  function ctx.cancelled() return false end
  return ctx
end

local function image_req(extra)
  local r = { kind = "image", prompt = "a lighthouse in a storm", seed = 11, width = 320, height = 180,
              parameters = {} }
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

describe("providers registry", function()
  it("returns the default provider for no name, and lists it as default", function()
    assert.equal("draft", providers.get(nil).name)
    local list = providers.list()
    assert.equal("draft", list[1].name)
    assert.truthy(list[1].default)
    assert.equal(1, providers.concurrency("draft"))
  end)
  it("refuses an unknown provider, naming the known ones", function()
    assert.error(function() providers.get("dall-e-9") end, "known: draft")
  end)
end)

describe("draft provider", function()
  it("is deterministic: same prompt and seed give the same PNG bytes", function()
    local a = draft.generate(image_req(), nil).image:encode("png")
    local b = draft.generate(image_req(), nil).image:encode("png")
    assert.equal(a, b)
    local c = draft.generate(image_req({ seed = 12 }), nil).image:encode("png")
    assert.truthy(a ~= c, "another seed must give another picture")
  end)
  it("honours the requested size and aspect ratio", function()
    for _, wh in ipairs({ { 1920, 1080 }, { 512, 768 }, { 64, 64 } }) do
      local img = draft.generate(image_req({ width = wh[1], height = wh[2] }), nil).image
      assert.equal(wh[1], img:width())
      assert.equal(wh[2], img:height())
    end
  end)
  it("labels its output as a draft", function()
    local out = draft.generate(image_req(), recorder())
    assert.truthy(out.metadata.draft)
    assert.equal("draft", out.metadata.provider)
    assert.equal(11, out.metadata.seed)
  end)
  it("keeps an img2img source underneath", function()
    local red = image.new(320, 180, "#ff0000")
    local out = draft.generate(image_req({ image = red, strength = 0 }), nil).image
    local r, g, b = out:pixel(160, 20)
    assert.truthy(r > 150 and g < 120 and b < 120, ("expected red to show through, got %d,%d,%d"):format(r, g, b))
  end)
  it("draws a one-channel mask of the subjects", function()
    local m = draft.generate(image_req({ kind = "mask" }), nil).image
    assert.equal(1, m:channels())
    assert.equal(320, m:width())
  end)
  it("makes a clip of the requested length, reporting progress upward", function()
    local ctx = recorder()
    local out = draft.generate({ kind = "video", prompt = "waves", seed = 1, width = 160, height = 90,
                                 duration_s = 1, fps = 10, motion = "pan_left" }, ctx)
    local info = video.probe(out.path)
    os.remove(out.path)
    assert.equal(10, info.frames)
    assert.equal(160, info.width)
    assert.truthy(#ctx.seen >= 3)
    for i = 2, #ctx.seen do assert.truthy(ctx.seen[i] >= ctx.seen[i - 1]) end
  end)
end)
