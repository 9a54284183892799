-- workflows/poster.lua — a title card over a generated still.
local workflow = require("moonreel.workflow")
local schema = require("moonreel.schema")
local providers = require("providers")
local outputs = require("services.outputs")

return workflow.define({
  description = "A poster: a still from the prompt with the title written over it",
  kinds = { "image" },
  input = schema.object({
    prompt = schema.string({ required = true, max_length = 2000 }),
    title = schema.string({ required = true, max_length = 80 }),
    provider = schema.string(),
  }),
  outputs = { artifacts = "one PNG" },
  run = function(ctx, input)
    local p = providers.get(input.provider)                       -- nil → providers.default
    ctx.progress(5, "painting")
    local out = ctx.with_permit("provider:" .. p.name, providers.concurrency(p.name), p.generate,
      { kind = "image", prompt = input.prompt, seed = 1, width = 768, height = 1024 }, ctx.scoped(5, 90))
    out.image:text(input.title, 40, 40, 64, "#ffffff")
    ctx.progress(95, "storing")
    local a = outputs.save_image(out.image, { workflow = "poster", job_id = ctx.job.id, provider = p.name })
    return { artifacts = { a } }
  end,
})
