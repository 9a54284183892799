// jobs/job_context.hpp — what a running workflow sees of its job, whoever runs it.
//
// Contract: the thread running a job sets current() for the duration of the
// run (ScopedJob). A job worker's context persists progress and watches for
// cancel and the deadline; `moonreel run`'s context draws a progress bar and
// stops on Ctrl-C. Lua reaches it through moonreel.jobs (jobs_lua.cpp), so
// workflows never know which of the two runs them.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace mr::jobs {

class JobContext {
 public:
  virtual ~JobContext() = default;
  // The job as the API shows it (id, workflow, input, attempts, project_id ...).
  virtual const nlohmann::json& job() const = 0;
  // percent 0–100 (clamped), a short step text.
  virtual void progress(double percent, const std::string& step) = 0;
  // Non-null once the job should stop: "cancelled" or "timeout".
  virtual const char* stop_reason() const = 0;
  // The workflow succeeded: record the result. Runs inside the caller's db
  // transaction, so writes the workflow made in it commit with the completion.
  virtual void complete(const nlohmann::json& result) = 0;
};

JobContext* current();

class ScopedJob {
 public:
  explicit ScopedJob(JobContext* ctx);
  ~ScopedJob();
  ScopedJob(const ScopedJob&) = delete;
  ScopedJob& operator=(const ScopedJob&) = delete;

 private:
  JobContext* previous_;
};

}  // namespace mr::jobs
