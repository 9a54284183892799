local workflow = require("moonreel.workflow")
local schema = require("moonreel.schema")
return workflow.define{
  description = "does nothing",
  input = schema.object({ n = schema.integer({ default = 0 }) }),
  run = function(ctx, input)
    for i = 1, input.n do ctx.progress(i * 100 / input.n, "step " .. i) end
    return { n = input.n }
  end,
}
