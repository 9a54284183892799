-- scripts/providers/echo.lua
local image = require("moonreel.image")
return {
  name = "echo", description = "A flat colour per seed", kinds = { image = true },
  generate = function(request, ctx)
    ctx.progress(50, "filling")
    local img = image.new(request.width, request.height, { request.seed % 256, 80, 160 })
    return { image = img, metadata = { provider = "echo", seed = request.seed } }
  end,
}
