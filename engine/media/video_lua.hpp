// media/video_lua.hpp — `require("moonreel.video")`: probe, frame_at, thumbnail, encode, add_audio, trim.
//
// Contract: the Lua face of video_reader / video_writer / video_edit, reading
// its limits from media.max_duration_s and media.max_video_bytes at each call.
// Documented in video_lua.cpp and docs/lua-api.md.
#pragma once
#include <lua.hpp>

namespace mr::media {

int luaopen_video(lua_State* L);

}  // namespace mr::media
