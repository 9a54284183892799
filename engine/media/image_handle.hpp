// media/image_handle.hpp — the image handle shared by every media primitive's Lua face.
//
// Contract: an image in Lua is a full userdata owning a cv::Mat (8-bit, 1, 3
// or 4 channels, BGR / BGRA order as OpenCV keeps it), freed by the GC.
// Pixels never become Lua tables. push_image() moves a Mat into a new handle;
// check_image() returns the Mat of the handle at idx or raises a Lua error.
// The metatable ("moonreel.image") and its methods are installed by the
// image module (image_lua.cpp); other modules (video, infer) only push and
// check handles through these two functions.
#pragma once
#include <lua.hpp>

#include <opencv2/core.hpp>

namespace mr::media {

constexpr const char* kImageMeta = "moonreel.image";

struct ImageHandle {
  cv::Mat mat;
};

// Pushes a new handle owning `mat` (moved). Requires the image module's
// metatable to exist: call ensure_image_meta(L) first if unsure.
void push_image(lua_State* L, cv::Mat mat);
cv::Mat& check_image(lua_State* L, int idx);
void ensure_image_meta(lua_State* L);

}  // namespace mr::media
