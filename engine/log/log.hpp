// log/log.hpp — structured logging over spdlog, in text or JSON lines.
//
// Contract: setup() once at start; then write() from any thread. Each line
// carries the current thread's request id when one is set (HTTP workers set it
// per request), so a 500's traceback can be found from the X-Request-Id a
// client saw. `moonreel.log` is the Lua face.
#pragma once
#include <lua.hpp>

#include <nlohmann/json.hpp>
#include <string>

namespace mr::log {

enum class Level { Trace, Debug, Info, Warn, Error };

void setup(const std::string& level, const std::string& format);  // throws on bad values
bool enabled(Level lvl);
void write(Level lvl, const std::string& msg, const nlohmann::json& fields = nlohmann::json::object());

inline void info(const std::string& msg, const nlohmann::json& f = nlohmann::json::object()) { write(Level::Info, msg, f); }
inline void warn(const std::string& msg, const nlohmann::json& f = nlohmann::json::object()) { write(Level::Warn, msg, f); }
inline void error(const std::string& msg, const nlohmann::json& f = nlohmann::json::object()) { write(Level::Error, msg, f); }
inline void debug(const std::string& msg, const nlohmann::json& f = nlohmann::json::object()) { write(Level::Debug, msg, f); }

// The request id logged with every line written by this thread ("" = none).
void set_request_id(const std::string& id);
const std::string& request_id();

int luaopen_log(lua_State* L);

}  // namespace mr::log
