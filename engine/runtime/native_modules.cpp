// runtime/native_modules.cpp — the list of native modules, in one place.
#include "runtime/native_modules.hpp"

#include "db/db.hpp"
#include "json/json_lua.hpp"
#include "log/log.hpp"
#include "media/video_lua.hpp"

namespace mr::media {
int luaopen_image(lua_State* L);
}

namespace mr::jobs {
int luaopen_jobs(lua_State* L);
}

namespace mr::infer {
int luaopen_infer(lua_State* L);
}

namespace mr::store {
int luaopen_store(lua_State* L);
int luaopen_zip(lua_State* L);
}

namespace mr::runtime {

int luaopen_engine(lua_State* L);

void install_native_modules(lua_State* L) {
  static const luaL_Reg modules[] = {{"moonreel.json", json::luaopen_json},
                                     {"moonreel.log", log::luaopen_log},
                                     {"moonreel.engine", luaopen_engine},
                                     {"moonreel.store", store::luaopen_store},
                                     {"moonreel.db", db::luaopen_db},
                                     {"moonreel.video", media::luaopen_video},
                                     {"moonreel.image", media::luaopen_image},
                                     {"moonreel.jobs", jobs::luaopen_jobs},
                                     {"moonreel.zip", store::luaopen_zip},
                                     {"moonreel.infer", infer::luaopen_infer},
                                     {nullptr, nullptr}};
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  for (const luaL_Reg* m = modules; m->name; ++m) {
    lua_pushcfunction(L, m->func);
    lua_setfield(L, -2, m->name);
  }
  lua_pop(L, 2);
}

}  // namespace mr::runtime
