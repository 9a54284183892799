-- bench/storyboard/post_clip.lua — wrk script: POST /api/v1/clips with a valid body.
--
-- The scene comes from the SCENE_ID environment variable (run.sh passes the
-- "sink" scene, so the benchmarked 20 x 10 project never grows). The body is
-- built once: a per-request body would spend wrk's CPU, which on a 2-core
-- machine is CPU the servers do not get.
local scene_id = os.getenv("SCENE_ID") or error("post_clip.lua: set SCENE_ID")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"scene_id":"' .. scene_id .. '","name":"Bench clip",' ..
           '"image_prompt":"close-up, rim light, 35mm, shallow depth of field",' ..
           '"lyrics":"and the city hums along","timeline_position":12.5,"length":2.5}'
