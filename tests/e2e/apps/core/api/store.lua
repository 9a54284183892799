-- api/store.lua — fixture routes over the artifact store.
local router = require("moonreel.router")
local store = require("moonreel.store")

local r = router.new({ prefix = "/store" })

r:post("/", function(req, res)
  local f = req.files.file
  res:status(201)
  return store.put(f.data, { kind = req.form.kind or "file", ext = req.form.ext or "bin",
                             content_type = f.content_type, meta = { source = "upload", filename = f.filename } })
end)

r:get("/sidecar/{path...}", function(req)
  return store.sidecar(req.params.path) or { missing = true }
end)

r:delete("/{path...}", function(req)
  return { removed = store.remove(req.params.path) }
end)

return r
