// jobs/execute.hpp — runs the current job's workflow in a Lua state: moonreel.workflow.execute().
//
// Contract: the caller has set a JobContext current on this thread
// (ScopedJob). execute() installs the stop hook (interpreted Lua checks
// stop_reason() every 10,000 instructions and raises), calls the runner, and
// removes the hook. It never throws for workflow errors: the outcome says
// what happened. `completed` means the runner recorded the result (through
// JobContext::complete) and returned success.
#pragma once
#include <lua.hpp>

#include <string>

namespace mr::jobs {

struct Outcome {
  std::string status = "failed";  // completed | failed | stopped
  std::string code = "INTERNAL_ERROR", message, traceback;
  bool retryable = false;
};

Outcome execute(lua_State* L);

}  // namespace mr::jobs
