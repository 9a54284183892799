-- workflows/export_bundle.lua — a bundle export (otioz, resolve): the timeline files and media zipped into an artifact.
local workflow = require("moonreel.workflow")
local schema = require("moonreel.schema")
local json = require("moonreel.json")
local store = require("moonreel.store")
local zip = require("moonreel.zip")
local exporters = require("exporters")
local model = require("timeline.model")

return workflow.define({
  description = "Build a bundle export (a zip of timeline files and media) of a project",
  kinds = { "bundle" },
  input = schema.object({
    project_id = schema.string({ required = true, max_length = 64 }),
    format = schema.string({ required = true, max_length = 64 }),
    fps = schema.string({ default = "24", max_length = 8 }),
    scene_id = schema.string({ max_length = 64 }),
    options = schema.object({}, { additional = true }),
  }),
  outputs = { artifacts = "the zip", entries = "files in it" },
  run = function(ctx, input)
    local ex = exporters.get(input.format)
    if not ex or not ex.bundle then ctx.fail("UNKNOWN_FORMAT", ("no bundle format '%s'"):format(input.format)) end
    local opts, errs = schema.validate(ex.options, input.options or json.object())
    if not opts then ctx.fail("INVALID_INPUT", ("options.%s %s"):format(errs[1].field, errs[1].issue)) end
    local ok, tl = pcall(model.build, input.project_id, { fps = input.fps, scene_id = input.scene_id })
    if not ok then ctx.fail("INVALID_INPUT", tostring(type(tl) == "table" and tl.message or tl)) end
    ctx.progress(5, "timeline: " .. tl.duration .. " frames")
    local entries = ex.entries(tl, opts, ctx)
    ctx.progress(92, "zipping " .. #entries .. " files")
    local tmp = store.temp_path("zip")
    local ok2, err = pcall(zip.write, tmp, entries)
    for _, e in ipairs(entries) do if e.remove_after then os.remove(e.path) end end
    if not ok2 then error(err, 0) end
    local f = assert(io.open(tmp, "rb"))
    local bytes = f:read("*a")
    f:close()
    os.remove(tmp)
    local name = require("services.exports").filename(tl.project, ex.extension or "zip")
    local a = store.put(bytes, { kind = "export", ext = ex.extension or "zip", content_type = ex.content_type or "application/zip",
                                 meta = { workflow = "export_bundle", format = input.format, project_id = input.project_id,
                                          fps = input.fps, filename = name, job_id = ctx.job.id } })
    local names = json.array()
    for i, e in ipairs(entries) do names[i] = e.name end
    return { artifacts = json.array({ { id = a.id, kind = "export", url = a.url, path = a.path,
                                        content_type = a.content_type, bytes = a.bytes, filename = name } }),
             entries = names, format = input.format }
  end,
})
