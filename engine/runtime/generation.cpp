// runtime/generation.cpp — loading the app into a state and pooling states.
#include "runtime/generation.hpp"

#include "json/json_lua.hpp"

namespace mr::runtime {

namespace {

std::string pop_error(lua_State* L) {
  std::string msg;
  if (lua_isstring(L, -1)) {
    msg = lua_tostring(L, -1);
  } else {
    msg = std::string("(error object is a ") + luaL_typename(L, -1) + ")";
  }
  lua_pop(L, 1);
  return msg;
}

}  // namespace

std::unique_ptr<AppState> Generation::load_state(std::vector<http::RouteSpec>* routes_out,
                                                 std::vector<std::string>* workflows_out) const {
  auto st = std::make_unique<AppState>();
  st->lua = std::make_unique<LuaState>(tree_);
  lua_State* L = st->lua->get();
  st->lua->seal_globals();

  std::string err;
  if (!st->lua->require("moonreel.app", err)) throw LoadFailure(err);
  int app = lua_gettop(L);

  // app.load(api_modules, workflow_modules) → routes list, workflow names
  lua_getfield(L, app, "load");
  lua_newtable(L);
  int i = 0;
  for (const ScriptFile* f : tree_->under("api")) {
    lua_pushstring(L, module_name_for(f->relpath).c_str());
    lua_rawseti(L, -2, ++i);
  }
  lua_newtable(L);
  i = 0;
  for (const ScriptFile* f : tree_->under("workflows")) {
    lua_pushstring(L, module_name_for(f->relpath).c_str());
    lua_rawseti(L, -2, ++i);
  }
  if (pcall_traceback(L, 2, 2) != 0) throw LoadFailure(pop_error(L));

  // routes: { {method=, path=, file=, line=}, ... }
  size_t n = lua_objlen(L, -2);
  if (routes_out) {
    for (size_t k = 1; k <= n; ++k) {
      lua_rawgeti(L, -2, static_cast<int>(k));
      http::RouteSpec spec;
      lua_getfield(L, -1, "method");
      spec.method = lua_tostring(L, -1);
      lua_getfield(L, -2, "path");
      spec.pattern = lua_tostring(L, -1);
      lua_getfield(L, -3, "file");
      spec.file = lua_tostring(L, -1);
      lua_getfield(L, -4, "line");
      spec.line = static_cast<int>(lua_tointeger(L, -1));
      lua_pop(L, 5);
      spec.index = static_cast<int>(k);
      routes_out->push_back(std::move(spec));
    }
  } else if (n != route_count_) {
    throw LoadFailure("a new Lua state declared " + std::to_string(n) + " routes where the generation has " +
                      std::to_string(route_count_) + " (route declarations must not depend on run-time state)");
  }
  if (workflows_out) {
    size_t w = lua_objlen(L, -1);
    for (size_t k = 1; k <= w; ++k) {
      lua_rawgeti(L, -1, static_cast<int>(k));
      workflows_out->push_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 2);

  lua_getfield(L, app, "dispatch");
  st->dispatch_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, 0);
  return st;
}

std::shared_ptr<Generation> Generation::build(std::shared_ptr<const ScriptTree> tree, int number) {
  std::shared_ptr<Generation> gen(new Generation());
  gen->number_ = number;
  gen->tree_ = std::move(tree);
  std::vector<http::RouteSpec> routes;
  auto first = gen->load_state(&routes, &gen->workflows_);
  for (auto& r : routes) {
    std::string where = r.file + ":" + std::to_string(r.line);
    try {
      gen->router_.add(r);
    } catch (const std::invalid_argument& e) {
      throw LoadFailure(where + ": " + e.what());
    }
  }
  gen->route_count_ = routes.size();
  gen->loaded_at_ = std::chrono::system_clock::now();
  gen->idle_.push_back(std::move(first));
  return gen;
}

std::shared_ptr<Generation> Generation::empty(const std::filesystem::path& root) {
  std::shared_ptr<Generation> gen(new Generation());
  gen->tree_ = std::make_shared<ScriptTree>();
  gen->loaded_at_ = std::chrono::system_clock::now();
  (void)root;
  return gen;
}

std::unique_ptr<AppState> Generation::make_state() const {
  if (route_count_ == 0 && tree_->size() == 0) {
    auto st = std::make_unique<AppState>();
    st->lua = std::make_unique<LuaState>(tree_);
    st->lua->seal_globals();
    return st;
  }
  return load_state(nullptr, nullptr);
}

void Generation::prewarm(size_t n) {
  while (true) {
    {
      std::lock_guard lk(mu_);
      if (idle_.size() >= n) return;
    }
    auto st = make_state();  // outside the lock: requests keep leasing meanwhile
    std::lock_guard lk(mu_);
    idle_.push_back(std::move(st));
  }
}

Generation::Lease Generation::acquire() {
  {
    std::lock_guard lk(mu_);
    if (!idle_.empty()) {
      auto st = std::move(idle_.back());
      idle_.pop_back();
      return Lease(shared_from_this(), std::move(st));
    }
  }
  return Lease(shared_from_this(), make_state());
}

void Generation::release(std::unique_ptr<AppState> st) {
  lua_settop(st->lua->get(), 0);
  std::lock_guard lk(mu_);
  idle_.push_back(std::move(st));
}

Generation::Lease::~Lease() {
  if (gen_ && st_) gen_->release(std::move(st_));
}

}  // namespace mr::runtime
