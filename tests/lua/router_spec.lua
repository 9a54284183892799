-- tests/lua/router_spec.lua — moonreel.router: how an api/ file declares routes
-- (methods, prefixes, options, where each route was declared, refusals).
local router = require("moonreel.router")

local function handler() end

-- The line this function is called from, to compare with a route's recorded line.
local function this_line()
  return debug.getinfo(2, "l").currentline
end

describe("router.new()", function()
  it("makes an empty router that is_router recognises", function()
    local r = router.new()
    assert.truthy(router.is_router(r))
    assert.same({}, r.routes)
    assert.equal("", r.prefix)
  end)

  it("is not fooled by look-alike tables", function()
    assert.falsy(router.is_router({ routes = {}, prefix = "" }))
    assert.falsy(router.is_router(nil))
    assert.falsy(router.is_router("router"))
  end)

  it("keeps its options", function()
    local r = router.new({ prefix = "/p", tag = "projects" })
    assert.equal("projects", r.opts.tag)
  end)

  it("still has a working r:options() method whatever the options", function()
    local r = router.new({ prefix = "/p" })
    r:options("/", handler)
    assert.equal("OPTIONS", r.routes[1].method)
  end)

  it("drops trailing slashes from the prefix", function()
    assert.equal("/api/v1", router.new({ prefix = "/api/v1/" }).prefix)
    assert.equal("/api", router.new({ prefix = "/api//" }).prefix)
  end)

  it("refuses a prefix that does not start with '/'", function()
    assert.error(function() router.new({ prefix = "api" }) end, "router prefix must start with '/'")
  end)

  it("makes routers that do not share routes", function()
    local a, b = router.new(), router.new()
    a:get("/a", handler)
    assert.equal(1, #a.routes)
    assert.equal(0, #b.routes)
  end)
end)

describe("declaring a route", function()
  it("records the upper-case method, the path and the handler", function()
    local r = router.new()
    r:get("/things/{id}", handler)
    local route = r.routes[1]
    assert.equal("GET", route.method)
    assert.equal("/things/{id}", route.path)
    assert.equal(handler, route.handler)
    assert.same({}, route.options)
  end)

  it("works for every method, and for any method through route()", function()
    local r = router.new()
    for _, m in ipairs({ "get", "post", "put", "patch", "delete", "head", "options" }) do
      r[m](r, "/" .. m, handler)
    end
    r:route("PATCH", "/custom", handler)
    local methods = {}
    for i, route in ipairs(r.routes) do methods[i] = route.method end
    assert.same({ "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PATCH" }, methods)
    assert.equal("/custom", r.routes[8].path)
  end)

  it("returns the router, so declarations chain", function()
    local r = router.new()
    assert.equal(r, r:get("/a", handler):post("/b", handler))
    assert.equal(2, #r.routes)
  end)

  it("keeps routes in declaration order", function()
    local r = router.new()
    r:get("/b", handler)
    r:get("/a", handler)
    assert.equal("/b", r.routes[1].path)
    assert.equal("/a", r.routes[2].path)
  end)

  it("keeps the options given before the handler", function()
    local r = router.new()
    r:post("/", { summary = "Create", status = 201 }, handler)
    assert.equal("Create", r.routes[1].options.summary)
    assert.equal(201, r.routes[1].options.status)
    assert.equal(handler, r.routes[1].handler)
  end)

  it("records the file and line of the declaration", function()
    local r = router.new()
    local line = this_line(); r:get("/here", handler)
    assert.equal(line, r.routes[1].line)
    assert.truthy(r.routes[1].file:find("router_spec.lua", 1, true))
    assert.falsy(r.routes[1].file:find("^@"))
  end)

  it("records the declaring line through route() too", function()
    local r = router.new()
    local line = this_line(); r:route("GET", "/here", handler)
    assert.equal(line, r.routes[1].line)
  end)
end)

describe("joining the prefix and the path", function()
  local r
  before_each(function() r = router.new({ prefix = "/api/v1/projects" }) end)

  it("appends the path to the prefix", function()
    r:get("/{id}", handler)
    assert.equal("/api/v1/projects/{id}", r.routes[1].path)
  end)

  it("turns '/' and '' into the prefix itself", function()
    r:get("/", handler)
    r:get("", handler)
    assert.equal("/api/v1/projects", r.routes[1].path)
    assert.equal("/api/v1/projects", r.routes[2].path)
  end)

  it("adds the missing '/' before a relative path", function()
    r:get("{id}/scenes", handler)
    assert.equal("/api/v1/projects/{id}/scenes", r.routes[1].path)
  end)

  it("gives '/' for the root of a router without a prefix", function()
    local root = router.new()
    root:get("/", handler)
    root:get("", handler)
    assert.equal("/", root.routes[1].path)
    assert.equal("/", root.routes[2].path)
  end)

  it("treats a prefix of '/' as no prefix", function()
    local slash = router.new({ prefix = "/" })
    slash:get("/x", handler)
    assert.equal("/x", slash.routes[1].path)
  end)
end)

describe("a malformed declaration", function()
  it("refuses a path that is not a string, pointing at the caller's line", function()
    local r = router.new()
    local line = this_line(); local err = assert.error(function() r:get(42, handler) end, "route path must be a string")
    assert.truthy(err:find("router_spec.lua:" .. line .. ":", 1, true))
  end)

  it("refuses a missing handler, naming the route", function()
    local r = router.new()
    assert.error(function() r:get("/x") end, "route handler for GET /x must be a function")
    assert.error(function() r:post("/y", { summary = "s" }) end, "route handler for POST /y must be a function")
    assert.error(function() r:put("/z", {}, "not a function") end, "route handler for PUT /z must be a function")
    assert.equal(0, #r.routes)
  end)
end)
