// jobs/job_context.cpp — the thread's running job (see job_context.hpp).
#include "jobs/job_context.hpp"

namespace mr::jobs {

namespace {
thread_local JobContext* t_current = nullptr;
}

JobContext* current() { return t_current; }

ScopedJob::ScopedJob(JobContext* ctx) : previous_(t_current) { t_current = ctx; }
ScopedJob::~ScopedJob() { t_current = previous_; }

}  // namespace mr::jobs
