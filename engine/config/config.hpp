// config/config.hpp — layered configuration: defaults < moonreel.conf.lua < MOONREEL_* env < flags.
//
// Contract: every key is declared once in config.cpp with its type, default and
// description; a value from any layer is checked against that declaration, and
// an unknown key is an error (typos fail loudly). Keys under `app.` are free
// for the application's own settings. The effective values are plain data
// (nlohmann::json), built once at start and then read-only, so every thread
// may read them.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mr::config {

enum class Type { String, Integer, Number, Boolean, StringList, Any };

struct KeySpec {
  std::string key;
  Type type;
  nlohmann::json default_value;
  std::string description;
};

const std::vector<KeySpec>& key_specs();

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Config {
 public:
  // Built-in defaults only.
  Config();

  // Applies a layer; `source` names it in `moonreel config` and in errors.
  void apply_file(const std::string& path);  // a Lua file returning a (nested) table
  void apply_env(char** envp);               // MOONREEL_SERVER_PORT=... → server.port
  void set(const std::string& key, const nlohmann::json& value, const std::string& source);
  // Parses a string as the key's type (env values, --set k=v flags).
  void set_text(const std::string& key, const std::string& text, const std::string& source);

  const nlohmann::json& get(const std::string& key) const;
  std::string str(const std::string& key) const { return get(key).get<std::string>(); }
  long long integer(const std::string& key) const { return get(key).get<long long>(); }
  double number(const std::string& key) const { return get(key).get<double>(); }
  bool boolean(const std::string& key) const { return get(key).get<bool>(); }
  std::vector<std::string> list(const std::string& key) const;

  const std::string& source_of(const std::string& key) const;
  // Flat {key: value} of every effective value.
  nlohmann::json to_json() const;

 private:
  std::map<std::string, nlohmann::json> values_;
  std::map<std::string, std::string> sources_;
};

// Environment variable name for a key: "server.port" → "MOONREEL_SERVER_PORT".
std::string env_name(const std::string& key);

// The process-wide effective configuration, published once at start-up.
void publish(const Config& cfg);
const Config& current();

}  // namespace mr::config
