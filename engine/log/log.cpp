// log/log.cpp — spdlog sink set-up and the two line formats.
#include "log/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "json/json_lua.hpp"
#include "runtime/lua_state.hpp"

namespace mr::log {

namespace {
std::shared_ptr<spdlog::logger> g_logger;
bool g_json = false;
thread_local std::string t_request_id;

spdlog::level::level_enum to_spd(Level l) {
  switch (l) {
    case Level::Trace: return spdlog::level::trace;
    case Level::Debug: return spdlog::level::debug;
    case Level::Info: return spdlog::level::info;
    case Level::Warn: return spdlog::level::warn;
    default: return spdlog::level::err;
  }
}

spdlog::logger& logger() {
  if (!g_logger) setup("info", "text");
  return *g_logger;
}

std::string text_value(const nlohmann::json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    bool plain = !s.empty() && s.find_first_of(" \"=\n") == std::string::npos;
    return plain ? s : v.dump();
  }
  return v.dump();
}
}  // namespace

void setup(const std::string& level, const std::string& format) {
  if (format != "text" && format != "json") throw std::invalid_argument("log.format must be text or json");
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off")
    throw std::invalid_argument("log.level must be trace, debug, info, warn or error");
  g_json = format == "json";
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto lg = std::make_shared<spdlog::logger>("moonreel", sink);
  lg->set_level(lvl);
  lg->flush_on(spdlog::level::trace);  // logs are read live by tests and operators
  if (g_json)
    lg->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  else
    lg->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  g_logger = lg;
}

bool enabled(Level lvl) { return logger().should_log(to_spd(lvl)); }

void write(Level lvl, const std::string& msg, const nlohmann::json& fields) {
  auto& lg = logger();
  if (!lg.should_log(to_spd(lvl))) return;
  std::string line;
  if (g_json) {
    nlohmann::json obj = fields.is_object() ? fields : nlohmann::json::object();
    if (!t_request_id.empty() && !obj.contains("request_id")) obj["request_id"] = t_request_id;
    line = "\"msg\":" + nlohmann::json(msg).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    for (auto it = obj.begin(); it != obj.end(); ++it)
      line += ",\"" + it.key() + "\":" + it.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = msg;
    if (!t_request_id.empty() && !(fields.is_object() && fields.contains("request_id")))
      line += " request_id=" + t_request_id;
    if (fields.is_object())
      for (auto it = fields.begin(); it != fields.end(); ++it) line += " " + it.key() + "=" + text_value(it.value());
  }
  lg.log(to_spd(lvl), line);
}

void set_request_id(const std::string& id) { t_request_id = id; }
const std::string& request_id() { return t_request_id; }

/* -- Lua face: log.info(msg [, fields]) ---------------------------------- */

namespace {
template <Level L_>
int l_log(lua_State* L) {
  if (!enabled(L_)) return 0;
  std::string msg = luaL_checkstring(L, 1);
  nlohmann::json fields = nlohmann::json::object();
  if (lua_istable(L, 2)) fields = nlohmann::json::parse(json::encode(L, 2));
  write(L_, msg, fields);
  return 0;
}
}  // namespace

int luaopen_log(lua_State* L) {
  static const luaL_Reg fns[] = {{"debug", runtime::guarded<l_log<Level::Debug>>},
                                 {"info", runtime::guarded<l_log<Level::Info>>},
                                 {"warn", runtime::guarded<l_log<Level::Warn>>},
                                 {"error", runtime::guarded<l_log<Level::Error>>},
                                 {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, fns);
  return 1;
}

}  // namespace mr::log
