-- bench/jobs/post_job.lua — wrk: POST a no-op job.
wrk.method = "POST"
wrk.body = '{"workflow":"noop","input":{}}'
wrk.headers["Content-Type"] = "application/json"
