-- workflows/remove_background.lua — cut the subject out of a stored image: RGBA cut-out + matte.
--
-- Uses the image primitive's remove_background: the ISNet matte when the
-- `isnet` model is declared (scripts/models/isnet.lua) and pulled, else GrabCut
-- seeded from a saliency guess; the result names the method that ran. With input.card_id the cut-out becomes a new card right after
-- the source card on its sheet.
local workflow = require("moonreel.workflow")
local S = require("schemas.generation")
local image = require("moonreel.image")
local json = require("moonreel.json")
local outputs = require("services.outputs")
local models = require("models")

return workflow.define({
  description = "Remove the background of a stored image (RGBA PNG cut-out and 8-bit matte, source resolution)",
  kinds = { "image", "mask" },
  input = S.remove_background,
  outputs = { artifacts = "[cut-out RGBA PNG, matte PNG]", method = "the method that ran" },
  run = function(ctx, input)
    models.declare_all()  -- so "auto" sees isnet when it was pulled
    if input.method ~= "auto" and input.method ~= "grabcut" and not models.present(input.method) then
      ctx.fail("MODEL_ABSENT", ("model '%s' is not installed: run `moonreel models pull %s`")
        :format(input.method, input.method))
    end
    local img, side = outputs.load_image(input.image)
    ctx.progress(10, "segmenting")
    local cutout, method = image.remove_background(img, { method = input.method })
    ctx.progress(80, "storing")
    local meta = { workflow = "remove_background", job_id = ctx.job.id, source = side.url, method = method }
    local a = outputs.save_image(cutout, meta)
    local m = outputs.save_image(cutout:alpha(), { workflow = "remove_background",
                                 job_id = ctx.job.id, source = side.url, method = method, role = "matte" })
    a.role, m.role = "cutout", "matte"
    return { artifacts = json.array({ a }), mask = m, method = method, source = side.url }
  end,
  complete = function(ctx, result, input)
    if not input.card_id then return end
    local cards = require("services.cards")
    local card = cards.get(input.card_id)
    local a = result.artifacts[1]
    local created = cards.create(card.sheet_id, {
      title = (card.title or "") .. " (cut-out)", media_type = "image", media_url = a.url, thumb_url = a.thumb_url,
      width = a.width, height = a.height, position = card.position + 1,
      metadata = { job_id = ctx.job.id, source_card_id = card.id, method = result.method, mask_url = result.mask.url },
    })
    result.card_id = created.id
  end,
})
