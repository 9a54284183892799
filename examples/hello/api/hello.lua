-- api/hello.lua — the smallest moonreel route: GET /hello → {"message":"hello"}.
-- Edit the word while `moonreel serve --root examples/hello` runs; the next
-- request answers with the new word.
local router = require("moonreel.router")

local r = router.new()

r:get("/hello", function(req, res)
  return { message = "hello" }
end)

return r
