-- api/meta.lua — readiness, the OpenAPI document, and a page that renders it.
local router = require("moonreel.router")
local engine = require("moonreel.engine")
local db = require("moonreel.db")
local app = require("moonreel.app")

local r = router.new()

r:get("/health/ready", { summary = "Ready when the database answers and the scripts are loaded", tags = { "health" } },
  function(req, res)
    local ok, err = pcall(db.query_one, "SELECT 1 AS ok")
    if not ok then
      require("moonreel.log").error("readiness: database unreachable", { error = tostring(err) })
      res:status(503)
      return { status = "not_ready", checks = { database = "unreachable", scripts = "loaded" } }
    end
    return { status = "ready", checks = { database = "ok", scripts = "loaded" } }
  end)

local document -- built once per state: routes never change within a generation
r:get("/api/v1/openapi.json", { summary = "This API as an OpenAPI 3.1 document", tags = { "meta" } }, function()
  if not document then
    document = require("moonreel.openapi").document(app.routes(), {
      title = "moonreel storyboard API",
      version = engine.version,
      description = "Projects, scenes, clips, characters, style templates and media of the storyboard backend.",
    })
  end
  return document
end)

local schema = require("moonreel.schema")
local collect_body = schema.object({
  older_than_s = schema.number({ min = 0, default = 3600, description = "Grace period: younger artifacts are kept" }),
  purge_deleted_after_s = schema.number({ min = 0, default = 2592000,
                                          description = "Soft-deleted cards older than this are purged first" }),
  dry_run = schema.boolean({ default = false, description = "Report what would be removed, remove nothing" }),
})
r:post("/api/v1/artifacts/collect", { summary = "Remove stored files that nothing refers to", tags = { "artifacts" },
                                      body = collect_body }, function(req)
  return require("services.artifacts").collect(req.data)
end)

local PAGE = [[<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>moonreel API</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
.op{margin:.4rem 0;padding:.3rem .6rem;border-left:4px solid #999;background:#f7f7f7}
.m{display:inline-block;width:4.5rem;font-weight:600;font-family:monospace}
.GET{border-color:#2b7} .POST{border-color:#27c} .PUT{border-color:#c82} .DELETE{border-color:#c33}
code{font-family:monospace} details pre{background:#fff;border:1px solid #eee;padding:.5rem;overflow:auto}
</style></head><body>
<h1>moonreel API</h1><p>Rendered from <a href="/api/v1/openapi.json"><code>/api/v1/openapi.json</code></a>.</p>
<div id="ops">loading…</div>
<script>
fetch('/api/v1/openapi.json').then(r => r.json()).then(doc => {
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const tag = (op.tags && op.tags[0]) || 'other';
      (byTag[tag] = byTag[tag] || []).push({method: method.toUpperCase(), path, op});
    }
  }
  const esc = s => String(s).replace(/[&<>]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
  let html = '';
  for (const tag of Object.keys(byTag).sort()) {
    html += '<h2>' + esc(tag) + '</h2>';
    for (const {method, path, op} of byTag[tag]) {
      const body = op.requestBody ? '<details><summary>request body</summary><pre>' +
        esc(JSON.stringify(op.requestBody, null, 2)) + '</pre></details>' : '';
      html += '<div class="op ' + method + '"><span class="m">' + method + '</span><code>' + esc(path) +
        '</code> — ' + esc(op.summary || '') + body + '</div>';
    }
  }
  document.getElementById('ops').innerHTML = html;
});
</script></body></html>]]

r:get("/docs", { summary = "A page that renders the OpenAPI document", tags = { "meta" } }, function(req, res)
  res:send(PAGE, "text/html; charset=utf-8")
end)

return r
