// config/config.cpp — the declared keys and the layering rules.
#include "config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>

#include "json/json_lua.hpp"
#include "runtime/lua_state.hpp"

namespace mr::config {

using nlohmann::json;

const std::vector<KeySpec>& key_specs() {
  static const std::vector<KeySpec> specs = {
      {"root", Type::String, ".", "app root: the folder holding api/, scripts/, workflows/"},
      {"data", Type::String, "", "data directory (database, artifacts, socket); empty = <root>/var"},
      {"server.host", Type::String, "127.0.0.1", "address to listen on"},
      {"server.port", Type::Integer, 8080, "TCP port (0 = any free port, printed at start)"},
      {"server.workers", Type::Integer, 128,
       "HTTP worker threads; a keep-alive connection holds one while open (Lua states are pooled per request)"},
      {"server.max_body_bytes", Type::Integer, 50 * 1024 * 1024, "largest request body accepted (413 past it)"},
      {"server.cors_origins", Type::StringList, json::array(), "origins allowed by CORS; empty = CORS off"},
      {"server.shutdown_grace_s", Type::Number, 10.0, "how long in-flight requests may run after SIGTERM"},
      {"server.keep_alive_max", Type::Integer, 100,
       "requests on one keep-alive connection before it is closed (so more connections than workers all get served)"},
      {"server.keep_alive_timeout_s", Type::Integer, 5, "idle keep-alive connections close after this"},
      {"log.level", Type::String, "info", "trace | debug | info | warn | error"},
      {"log.format", Type::String, "text", "text | json (one JSON object per line)"},
      {"reload.enabled", Type::Boolean, true, "watch api/, scripts/, workflows/ and hot-reload on change"},
      {"reload.debounce_ms", Type::Integer, 15, "quiet time after a change before reloading"},
      {"repl.socket", Type::String, "", "unix socket for `repl --connect`; empty = <data>/moonreel.sock"},
      {"db.path", Type::String, "", "SQLite file; empty = <data>/moonreel.db"},
      {"db.busy_timeout_ms", Type::Integer, 5000, "how long a writer waits for the write lock before failing"},
      {"db.migrations", Type::String, "", "folder of NNN_name.sql migrations; empty = <root>/migrations"},
      {"media.max_pixels", Type::Integer, 100000000LL,
       "largest decoded image (pixels); decompression bombs are refused before decoding"},
      {"media.max_file_bytes", Type::Integer, 512LL * 1024 * 1024, "largest uploaded media file"},
      {"media.max_duration_s", Type::Number, 3600.0, "longest video accepted"},
      {"media.max_video_bytes", Type::Integer, 4LL * 1024 * 1024 * 1024, "largest video or audio file opened"},
      {"jobs.workers", Type::Integer, 2, "job worker threads, each with its own Lua state (0 = accept jobs, run none)"},
      {"jobs.max_pending", Type::Integer, 10000, "pending jobs past which new submissions get 429 + Retry-After"},
      {"jobs.timeout_s", Type::Number, 600.0, "default per-job time limit (a job may ask for its own)"},
      {"jobs.max_attempts", Type::Integer, 3, "default attempts per job (retryable errors and worker loss)"},
      {"jobs.retry_backoff_s", Type::Number, 1.0, "first retry delay; doubles with each attempt"},
      {"jobs.event_retention", Type::Integer, 100000, "queue events kept for Last-Event-ID resume (oldest pruned)"},
      {"webhooks.secret", Type::String, "", "HMAC-SHA256 key for webhook signatures; empty = <data>/webhook.secret (made once)"},
      {"webhooks.max_attempts", Type::Integer, 8, "deliveries tried per webhook before it is marked failed"},
      {"webhooks.backoff_s", Type::Number, 2.0, "first redelivery delay; doubles with each attempt"},
      {"webhooks.timeout_s", Type::Number, 10.0, "connect + read timeout of one delivery"},
      {"models.dir", Type::String, "", "folder of TorchScript models (moonreel models pull); empty = <data>/models"},
      {"infer.device", Type::String, "auto", "auto | cuda | mps | cpu: auto takes CUDA, then MPS, then the CPU"},
      {"infer.fp16", Type::Boolean, true, "half precision on CUDA for models that declare fp16 = true (never on MPS/CPU)"},
      {"infer.threads", Type::Integer, 0, "LibTorch intra-op threads; 0 = one per core"},
      {"infer.memory_mb", Type::Integer, 4096, "loaded model weights kept in memory; least recently used unloaded past it"},
      {"infer.max_pixels", Type::Integer, 7680LL * 4320, "largest image a model is run on (input pixels)"},
      {"infer.upscaler", Type::String, "realesr-animevideov3",
       "model family upscale uses when the request names none (then esrgan-slim; resampling if neither is pulled)"},
      {"providers.default", Type::String, "draft", "provider a workflow uses when the request names none"},
      {"providers.settings", Type::Any, json::object(),
       "per-provider options: { name = { concurrency = 1, ... } } (concurrency = generations in flight)"},
  };
  return specs;
}

namespace {

const KeySpec* find_spec(const std::string& key) {
  for (const auto& s : key_specs())
    if (s.key == key) return &s;
  return nullptr;
}

bool is_app_key(const std::string& key) { return key.starts_with("app.") && key.size() > 4; }

json check_type(const KeySpec& spec, const json& v, const std::string& source) {
  auto bad = [&](const char* want) {
    return ConfigError(source + ": " + spec.key + " must be " + want + ", got " + v.dump());
  };
  switch (spec.type) {
    case Type::String:
      if (!v.is_string()) throw bad("a string");
      break;
    case Type::Integer:
      // A Lua file's numbers are doubles; 9000.0 is the integer 9000. The range
      // check comes first: casting a double past long long's range is undefined.
      if (v.is_number_float() && std::fabs(v.get<double>()) < 9.2e18 &&
          v.get<double>() == std::trunc(v.get<double>()))
        return json(static_cast<long long>(v.get<double>()));
      if (!v.is_number_integer()) throw bad("an integer");
      break;
    case Type::Number:
      if (!v.is_number()) throw bad("a number");
      break;
    case Type::Boolean:
      if (!v.is_boolean()) throw bad("true or false");
      break;
    case Type::StringList:
      // An empty Lua table encodes as {}: in a conf file `cors_origins = {}` is the empty list.
      if (v.is_object() && v.empty()) return json::array();
      if (!v.is_array()) throw bad("a list of strings");
      for (const auto& e : v)
        if (!e.is_string()) throw bad("a list of strings");
      break;
    case Type::Any:
      break;
  }
  return v;
}

void flatten(const json& v, const std::string& prefix, std::vector<std::pair<std::string, json>>& out) {
  if (v.is_object() && !is_app_key(prefix) && !find_spec(prefix)) {
    for (auto it = v.begin(); it != v.end(); ++it)
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    return;
  }
  out.emplace_back(prefix, v);
}

std::unique_ptr<Config> g_current;

}  // namespace

Config::Config() {
  for (const auto& s : key_specs()) {
    values_[s.key] = s.default_value;
    sources_[s.key] = "default";
  }
}

void Config::set(const std::string& key, const json& value, const std::string& source) {
  if (is_app_key(key)) {
    values_[key] = value;
    sources_[key] = source;
    return;
  }
  const KeySpec* spec = find_spec(key);
  if (spec == nullptr) throw ConfigError(source + ": unknown configuration key '" + key + "'");
  values_[key] = check_type(*spec, value, source);
  sources_[key] = source;
}

void Config::set_text(const std::string& key, const std::string& text, const std::string& source) {
  const KeySpec* spec = find_spec(key);
  if (spec == nullptr && !is_app_key(key)) throw ConfigError(source + ": unknown configuration key '" + key + "'");
  Type t = spec ? spec->type : Type::String;
  json v;
  try {
    switch (t) {
      case Type::Integer: {
        size_t used = 0;
        long long n = std::stoll(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
        v = n;
        break;
      }
      case Type::Number: {
        size_t used = 0;
        double d = std::stod(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
        v = d;
        break;
      }
      case Type::Boolean: {
        std::string l = text;
        std::transform(l.begin(), l.end(), l.begin(), ::tolower);
        if (l == "1" || l == "true" || l == "yes" || l == "on")
          v = true;
        else if (l == "0" || l == "false" || l == "no" || l == "off")
          v = false;
        else
          throw std::invalid_argument(text);
        break;
      }
      case Type::StringList: {
        v = json::array();
        size_t start = 0;
        while (start <= text.size() && !text.empty()) {
          size_t comma = text.find(',', start);
          std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          // "a, b" is a natural way to write a list in a shell: spaces around items are not part of them.
          item.erase(0, item.find_first_not_of(" \t"));
          item.erase(item.find_last_not_of(" \t") + 1);
          if (!item.empty()) v.push_back(item);
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        break;
      }
      default:
        v = text;
    }
  } catch (const std::logic_error&) {
    throw ConfigError(source + ": " + key + ": cannot read '" + text + "' as the key's type");
  }
  set(key, v, source);
}

void Config::apply_file(const std::string& path) {
  runtime::LuaState state;
  lua_State* L = state.get();
  if (luaL_loadfile(L, path.c_str()) != 0) throw ConfigError(lua_tostring(L, -1));
  if (runtime::pcall_traceback(L, 0, 1) != 0) throw ConfigError(lua_tostring(L, -1));
  if (!lua_istable(L, -1)) throw ConfigError(path + ": must return a table of settings");
  json value;
  try {
    value = json::parse(::mr::json::encode(L, -1));
  } catch (const std::exception& e) {
    throw ConfigError(path + ": " + e.what());
  }
  std::vector<std::pair<std::string, json>> flat;
  flatten(value, "", flat);
  for (const auto& [k, v] : flat) set(k, v, path);
}

void Config::apply_env(char** envp) {
  for (char** e = envp; e && *e; ++e) {
    std::string kv = *e;
    if (!kv.starts_with("MOONREEL_")) continue;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string name = kv.substr(0, eq), text = kv.substr(eq + 1);
    bool matched = false;
    for (const auto& s : key_specs()) {
      if (env_name(s.key) == name) {
        set_text(s.key, text, "env " + name);
        matched = true;
        break;
      }
    }
    // Unknown MOONREEL_* variables are ignored: tools and tests set their own.
    (void)matched;
  }
}

const json& Config::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw ConfigError("unknown configuration key '" + key + "'");
  return it->second;
}

std::vector<std::string> Config::list(const std::string& key) const {
  return get(key).get<std::vector<std::string>>();
}

const std::string& Config::source_of(const std::string& key) const {
  static const std::string none;
  auto it = sources_.find(key);
  return it == sources_.end() ? none : it->second;
}

json Config::to_json() const {
  json out = json::object();
  for (const auto& [k, v] : values_) out[k] = v;
  return out;
}

std::string env_name(const std::string& key) {
  std::string out = "MOONREEL_";
  for (char c : key) out += (c == '.') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void publish(const Config& cfg) { g_current = std::make_unique<Config>(cfg); }

const Config& current() {
  static const Config defaults;
  return g_current ? *g_current : defaults;
}

}  // namespace mr::config
