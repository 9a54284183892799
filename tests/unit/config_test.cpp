// unit/config_test.cpp — layered configuration (config/config.hpp): types, layers, env names, conf files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using mr::config::Config;
using mr::config::ConfigError;
using nlohmann::json;

namespace {

// A conf file in a fresh temporary folder, removed at scope exit.
struct ConfFile {
  mr::test::TempTree tree;
  fs::path dir = tree.root;
  fs::path path = tree.root / "moonreel.conf.lua";
  explicit ConfFile(const std::string& text) { tree.file("moonreel.conf.lua", text); }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("expected a ConfigError");
  return "";
}

}  // namespace

/* -- Declarations and defaults ------------------------------------------- */

TEST_CASE("every declared key starts at its default, from the source 'default'", "[config]") {
  Config c;
  for (const auto& s : mr::config::key_specs()) {
    CHECK(c.get(s.key) == s.default_value);
    CHECK(c.source_of(s.key) == "default");
  }
  CHECK(c.integer("server.port") == 8080);
  CHECK(c.str("server.host") == "127.0.0.1");
  CHECK(c.boolean("reload.enabled"));
  CHECK(c.number("server.shutdown_grace_s") == 10.0);
  CHECK(c.list("server.cors_origins").empty());
}

TEST_CASE("each key is declared once, with a description", "[config]") {
  std::set<std::string> seen;
  for (const auto& s : mr::config::key_specs()) {
    CHECK(seen.insert(s.key).second);
    CHECK_FALSE(s.description.empty());
  }
}

TEST_CASE("to_json is the flat map of every effective value", "[config]") {
  Config c;
  c.set("app.title", "x", "test");
  json all = c.to_json();
  CHECK(all.size() == mr::config::key_specs().size() + 1);
  CHECK(all["server.port"] == 8080);
  CHECK(all["app.title"] == "x");
}

/* -- Types --------------------------------------------------------------- */

TEST_CASE("a value of the wrong type is refused, naming the source, the key and the value", "[config]") {
  Config c;
  CHECK(error_of([&] { c.set("server.port", "80", "flag --set"); }) ==
        R"(flag --set: server.port must be an integer, got "80")");
  CHECK_THAT(error_of([&] { c.set("server.host", 1, "t"); }), Catch::Contains("must be a string"));
  CHECK_THAT(error_of([&] { c.set("reload.enabled", "true", "t"); }), Catch::Contains("must be true or false"));
  CHECK_THAT(error_of([&] { c.set("server.shutdown_grace_s", "1", "t"); }), Catch::Contains("must be a number"));
  CHECK_THAT(error_of([&] { c.set("server.cors_origins", "a", "t"); }), Catch::Contains("a list of strings"));
  CHECK_THAT(error_of([&] { c.set("server.cors_origins", json::array({"a", 1}), "t"); }),
             Catch::Contains("a list of strings"));
  CHECK(c.integer("server.port") == 8080);
  CHECK(c.source_of("server.port") == "default");
}

TEST_CASE("an integral float is accepted as an integer; a fractional or huge one is not", "[config]") {
  Config c;
  c.set("server.port", 9000.0, "t");
  CHECK(c.get("server.port").is_number_integer());
  CHECK(c.integer("server.port") == 9000);
  CHECK_THAT(error_of([&] { c.set("server.port", 1.5, "t"); }), Catch::Contains("must be an integer"));
  CHECK_THAT(error_of([&] { c.set("server.port", 1e300, "t"); }), Catch::Contains("must be an integer"));
}

TEST_CASE("a number key accepts integers too", "[config]") {
  Config c;
  c.set("server.shutdown_grace_s", 3, "t");
  CHECK(c.number("server.shutdown_grace_s") == 3.0);
}

TEST_CASE("an unknown key is refused, by set and by set_text", "[config]") {
  Config c;
  CHECK(error_of([&] { c.set("server.prot", 1, "moonreel.conf.lua"); }) ==
        "moonreel.conf.lua: unknown configuration key 'server.prot'");
  CHECK_THAT(error_of([&] { c.set_text("nope", "1", "flag --set"); }), Catch::Contains("unknown configuration key 'nope'"));
  CHECK_THAT(error_of([&] { (void)c.get("nope"); }), Catch::Contains("unknown configuration key 'nope'"));
}

TEST_CASE("keys under app. are free and keep any JSON value", "[config]") {
  Config c;
  c.set("app.title", "Storyboard", "t");
  c.set("app.limits", json{{"max", 3}}, "t");
  c.set_text("app.greeting", "hello, world", "flag --set");
  CHECK(c.str("app.title") == "Storyboard");
  CHECK(c.get("app.limits")["max"] == 3);
  CHECK(c.str("app.greeting") == "hello, world");
  CHECK(c.source_of("app.greeting") == "flag --set");
  CHECK_THAT(error_of([&] { c.set("app.", 1, "t"); }), Catch::Contains("unknown configuration key 'app.'"));
  CHECK_THAT(error_of([&] { c.set("app", 1, "t"); }), Catch::Contains("unknown configuration key 'app'"));
}

/* -- Text values --------------------------------------------------------- */

TEST_CASE("set_text reads integers and numbers, refusing trailing junk", "[config]") {
  Config c;
  c.set_text("server.port", "9001", "t");
  CHECK(c.integer("server.port") == 9001);
  c.set_text("server.shutdown_grace_s", "2.5", "t");
  CHECK(c.number("server.shutdown_grace_s") == 2.5);
  CHECK(error_of([&] { c.set_text("server.port", "90x", "env MOONREEL_SERVER_PORT"); }) ==
        "env MOONREEL_SERVER_PORT: server.port: cannot read '90x' as the key's type");
  CHECK_THAT(error_of([&] { c.set_text("server.port", "", "t"); }), Catch::Contains("cannot read ''"));
  CHECK_THAT(error_of([&] { c.set_text("server.port", "99999999999999999999", "t"); }), Catch::Contains("cannot read"));
  CHECK_THAT(error_of([&] { c.set_text("server.shutdown_grace_s", "1.5s", "t"); }), Catch::Contains("cannot read"));
  CHECK(c.integer("server.port") == 9001);
}

TEST_CASE("set_text reads booleans in the usual spellings, case-insensitively", "[config]") {
  Config c;
  for (const char* t : {"1", "true", "TRUE", "yes", "on", "On"}) {
    c.set_text("reload.enabled", "false", "t");
    c.set_text("reload.enabled", t, "t");
    CHECK(c.boolean("reload.enabled"));
  }
  for (const char* f : {"0", "false", "no", "off", "OFF"}) {
    c.set_text("reload.enabled", "true", "t");
    c.set_text("reload.enabled", f, "t");
    CHECK_FALSE(c.boolean("reload.enabled"));
  }
  CHECK_THAT(error_of([&] { c.set_text("reload.enabled", "maybe", "t"); }), Catch::Contains("cannot read 'maybe'"));
}

TEST_CASE("set_text reads a list as comma-separated items, dropping empty ones and spaces around them", "[config]") {
  Config c;
  c.set_text("server.cors_origins", "http://a,http://b", "t");
  CHECK(c.list("server.cors_origins") == std::vector<std::string>{"http://a", "http://b"});
  c.set_text("server.cors_origins", "http://a, http://b ,", "t");
  CHECK(c.list("server.cors_origins") == std::vector<std::string>{"http://a", "http://b"});
  c.set_text("server.cors_origins", ",a,,b,", "t");
  CHECK(c.list("server.cors_origins") == std::vector<std::string>{"a", "b"});
  c.set_text("server.cors_origins", "", "t");
  CHECK(c.list("server.cors_origins").empty());
  c.set_text("server.cors_origins", "single", "t");
  CHECK(c.list("server.cors_origins") == std::vector<std::string>{"single"});
}

TEST_CASE("set_text keeps strings as written", "[config]") {
  Config c;
  c.set_text("log.level", "debug", "t");
  CHECK(c.str("log.level") == "debug");
  c.set_text("server.host", "", "t");
  CHECK(c.str("server.host").empty());
}

/* -- Environment --------------------------------------------------------- */

TEST_CASE("env_name upper-cases the key and turns dots into underscores", "[config]") {
  CHECK(mr::config::env_name("server.port") == "MOONREEL_SERVER_PORT");
  CHECK(mr::config::env_name("server.max_body_bytes") == "MOONREEL_SERVER_MAX_BODY_BYTES");
  CHECK(mr::config::env_name("root") == "MOONREEL_ROOT");
}

TEST_CASE("apply_env reads MOONREEL_* variables of declared keys and ignores the rest", "[config]") {
  Config c;
  std::vector<std::string> vars = {"MOONREEL_SERVER_PORT=9001", "MOONREEL_LOG_LEVEL=debug",
                                   "MOONREEL_SERVER_CORS_ORIGINS=http://a,http://b",
                                   "MOONREEL_NOT_A_KEY=1", "MOONREEL_BIN=/usr/bin/moonreel", "PATH=/bin",
                                   "MOONREEL_NO_EQUALS"};
  std::vector<char*> envp;
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  c.apply_env(envp.data());
  CHECK(c.integer("server.port") == 9001);
  CHECK(c.source_of("server.port") == "env MOONREEL_SERVER_PORT");
  CHECK(c.str("log.level") == "debug");
  CHECK(c.list("server.cors_origins") == std::vector<std::string>{"http://a", "http://b"});
  CHECK(c.source_of("server.host") == "default");
  CHECK_NOTHROW(c.apply_env(nullptr));
}

TEST_CASE("a badly typed env variable is an error naming the variable", "[config]") {
  Config c;
  std::string var = "MOONREEL_SERVER_WORKERS=many";
  char* envp[] = {var.data(), nullptr};
  CHECK_THAT(error_of([&] { c.apply_env(envp); }), Catch::StartsWith("env MOONREEL_SERVER_WORKERS: server.workers"));
}

/* -- Conf files ---------------------------------------------------------- */

TEST_CASE("apply_file reads a Lua file returning nested tables", "[config]") {
  ConfFile f(R"(
    return {
      server = { port = 9000, host = "0.0.0.0", cors_origins = { "http://a" }, shutdown_grace_s = 2.5 },
      log = { level = "warn" },
      reload = { enabled = false },
      app = { title = "x", limits = { max = 3 }, tags = { "a", "b" } },
    })");
  Config c;
  c.apply_file(f.path.string());
  CHECK(c.integer("server.port") == 9000);
  CHECK(c.get("server.port").is_number_integer());
  CHECK(c.str("server.host") == "0.0.0.0");
  CHECK(c.list("server.cors_origins") == std::vector<std::string>{"http://a"});
  CHECK(c.number("server.shutdown_grace_s") == 2.5);
  CHECK(c.str("log.level") == "warn");
  CHECK_FALSE(c.boolean("reload.enabled"));
  CHECK(c.str("app.title") == "x");
  CHECK(c.get("app.limits") == json{{"max", 3}});
  CHECK(c.get("app.tags") == json::array({"a", "b"}));
  CHECK(c.source_of("server.port") == f.path.string());
  CHECK(c.source_of("server.workers") == "default");
}

TEST_CASE("apply_file accepts dotted keys and code that computes values", "[config]") {
  ConfFile f(R"(
    local base = 9000
    return { ["server.port"] = base + 1, server = { workers = 2 * 2 } })");
  Config c;
  c.apply_file(f.path.string());
  CHECK(c.integer("server.port") == 9001);
  CHECK(c.integer("server.workers") == 4);
}

TEST_CASE("an empty Lua table is an empty list for a list key", "[config]") {
  ConfFile f("return { server = { cors_origins = {} } }");
  Config c;
  c.set_text("server.cors_origins", "http://a", "t");
  c.apply_file(f.path.string());
  CHECK(c.list("server.cors_origins").empty());
}

TEST_CASE("apply_file refuses unknown keys and wrong types, naming the file", "[config]") {
  ConfFile typo("return { server = { prot = 1 } }");
  Config c;
  CHECK(error_of([&] { c.apply_file(typo.path.string()); }) ==
        typo.path.string() + ": unknown configuration key 'server.prot'");
  ConfFile wrong("return { server = { port = 'eighty' } }");
  CHECK_THAT(error_of([&] { c.apply_file(wrong.path.string()); }),
             Catch::StartsWith(wrong.path.string() + ": server.port must be an integer"));
}

TEST_CASE("apply_file reports syntax and run-time errors with the file and line", "[config]") {
  ConfFile syntax("return {\n  server = { port = 1 \n");
  Config c;
  CHECK_THAT(error_of([&] { c.apply_file(syntax.path.string()); }), Catch::Contains("moonreel.conf.lua:3:"));
  ConfFile runtime("local x = nil\nreturn { server = { port = x.y } }\n");
  CHECK_THAT(error_of([&] { c.apply_file(runtime.path.string()); }), Catch::Contains("moonreel.conf.lua:2:"));
}

TEST_CASE("apply_file requires a table of settings and a readable file", "[config]") {
  ConfFile f("return 42");
  Config c;
  CHECK_THAT(error_of([&] { c.apply_file(f.path.string()); }), Catch::Contains("must return a table of settings"));
  CHECK_THAT(error_of([&] { c.apply_file((f.dir / "missing.lua").string()); }), Catch::Contains("missing.lua"));
}

TEST_CASE("apply_file refuses values that are not plain data", "[config]") {
  ConfFile f("return { app = { f = function() end } }");
  Config c;
  CHECK_THAT(error_of([&] { c.apply_file(f.path.string()); }), Catch::Contains("cannot encode a function"));
}

/* -- Layering ------------------------------------------------------------ */

TEST_CASE("layers apply in order: defaults < file < env < flags", "[config]") {
  ConfFile f("return { server = { port = 9000, workers = 3, host = '0.0.0.0' }, log = { level = 'warn' } }");
  std::string port = "MOONREEL_SERVER_PORT=9001", workers = "MOONREEL_SERVER_WORKERS=4";
  char* envp[] = {port.data(), workers.data(), nullptr};

  Config c;
  c.apply_file(f.path.string());
  c.apply_env(envp);
  c.set_text("server.workers", "5", "flag --set");

  CHECK(c.number("server.shutdown_grace_s") == 10.0);
  CHECK(c.source_of("server.shutdown_grace_s") == "default");
  CHECK(c.str("log.level") == "warn");
  CHECK(c.source_of("log.level") == f.path.string());
  CHECK(c.str("server.host") == "0.0.0.0");
  CHECK(c.integer("server.port") == 9001);
  CHECK(c.source_of("server.port") == "env MOONREEL_SERVER_PORT");
  CHECK(c.integer("server.workers") == 5);
  CHECK(c.source_of("server.workers") == "flag --set");
}

TEST_CASE("a refused value leaves the previous layer's value in place", "[config]") {
  Config c;
  c.set("server.port", 9000, "file");
  CHECK_THROWS_AS(c.set_text("server.port", "x", "flag"), ConfigError);
  CHECK(c.integer("server.port") == 9000);
  CHECK(c.source_of("server.port") == "file");
}

/* -- Publishing ---------------------------------------------------------- */

TEST_CASE("publish makes a configuration the process-wide current one", "[config]") {
  Config c;
  c.set("app.published_marker", "yes", "test");
  mr::config::publish(c);
  CHECK(mr::config::current().str("app.published_marker") == "yes");
  c.set("app.published_marker", "changed later", "test");
  CHECK(mr::config::current().str("app.published_marker") == "yes");
  mr::config::publish(Config());
}
