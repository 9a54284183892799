// runtime/generation.hpp — one loaded version of the app's Lua tree, and its pool of states.
//
// Contract: Generation::build() loads a ScriptTree into a first Lua state —
// every api/ file declares its routes, every workflows/ file is required — and
// builds the route table. Only a generation that built completely is ever
// served (design decision 3). Requests lease a state from the pool for their
// whole life (streams included); a lease keeps its generation alive, so
// in-flight requests finish on the generation they started on while new ones
// go to the next. More states are made on demand from the same snapshot.
#pragma once
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "http/router.hpp"
#include "runtime/lua_state.hpp"
#include "runtime/script_tree.hpp"

namespace mr::runtime {

// A tree that failed to load; location() names the first problem.
struct LoadFailure : std::runtime_error {
  explicit LoadFailure(const std::string& msg) : std::runtime_error(msg), loc(parse_error_location(msg)) {}
  ErrorLocation loc;
};

// A Lua state loaded with the app, and the references the engine calls into.
struct AppState {
  std::unique_ptr<LuaState> lua;
  int dispatch_ref = LUA_NOREF;  // moonreel.app.dispatch
};

class Generation : public std::enable_shared_from_this<Generation> {
 public:
  static std::shared_ptr<Generation> build(std::shared_ptr<const ScriptTree> tree, int number);
  // A generation with no routes (before the first successful load).
  static std::shared_ptr<Generation> empty(const std::filesystem::path& root);

  int number() const { return number_; }
  std::chrono::system_clock::time_point loaded_at() const { return loaded_at_; }
  const http::Router& router() const { return router_; }
  const std::shared_ptr<const ScriptTree>& tree() const { return tree_; }
  const std::vector<std::string>& workflows() const { return workflows_; }

  class Lease {
   public:
    Lease(std::shared_ptr<Generation> gen, std::unique_ptr<AppState> st) : gen_(std::move(gen)), st_(std::move(st)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease();
    AppState& state() { return *st_; }
    lua_State* L() { return st_->lua->get(); }
    Generation& generation() { return *gen_; }

   private:
    std::shared_ptr<Generation> gen_;
    std::unique_ptr<AppState> st_;
  };

  // Takes an idle state or makes one (throws LoadFailure if that fails).
  Lease acquire();
  // Fills the pool up to n idle states, so the first requests after a reload
  // do not each pay for loading one. Safe while requests run.
  void prewarm(size_t n);
  // Loads the tree into a fresh state not taken from the pool (REPL sessions).
  std::unique_ptr<AppState> make_state() const;

 private:
  Generation() = default;
  std::unique_ptr<AppState> load_state(std::vector<http::RouteSpec>* routes_out,
                                       std::vector<std::string>* workflows_out) const;
  void release(std::unique_ptr<AppState> st);

  int number_ = 0;
  std::chrono::system_clock::time_point loaded_at_;
  std::shared_ptr<const ScriptTree> tree_;
  http::Router router_;
  size_t route_count_ = 0;
  std::vector<std::string> workflows_;
  std::mutex mu_;
  std::vector<std::unique_ptr<AppState>> idle_;
};

}  // namespace mr::runtime
