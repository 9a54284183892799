// cli/cmd_run.cpp — `moonreel run <workflow> --input JSON|IMAGE`: one workflow, here, with a progress bar.
//
// Contract: runs the workflow in this process, outside the queue (no job row,
// nothing a server on the same data directory could claim), through the same
// runner the job workers use (moonreel.workflow.execute), with the app's
// database and artifact store. Progress draws a bar on stderr when it is a
// terminal (plain lines otherwise); Ctrl-C stops the workflow at its next
// step. The result JSON goes to stdout; with --output, the first artifact of
// the result is copied there. --input may also name a local image file: it is
// stored like an upload and passed as input.image (`run upscale --input a.png
// --scale 4 --output big.png`). Exit 0 on success, 1 on failure, 130 on Ctrl-C.
#include <lua.hpp>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "jobs/execute.hpp"
#include "jobs/job_context.hpp"
#include "runtime/script_host.hpp"
#include "store/store.hpp"
#include "util/time.hpp"
#include "util/ulid.hpp"

namespace mr::cli {

namespace {

std::atomic<bool> g_interrupted{false};

void on_sigint(int) { g_interrupted = true; }

class TerminalContext : public jobs::JobContext {
 public:
  TerminalContext(nlohmann::json job, double timeout_s)
      : job_(std::move(job)), tty_(isatty(STDERR_FILENO)), deadline_(std::chrono::steady_clock::now() +
                                                                      std::chrono::milliseconds(
                                                                          static_cast<long long>(timeout_s * 1000))) {}

  const nlohmann::json& job() const override { return job_; }

  void progress(double percent, const std::string& step) override {
    int pct = static_cast<int>(std::clamp(percent, 0.0, 100.0));
    if (tty_) {
      const int width = 30;
      int filled = pct * width / 100;
      std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << pct << "% "
                << step.substr(0, 40) << "\033[K" << std::flush;
      drew_ = true;
    } else if (pct != last_pct_ || step != last_step_) {
      std::cerr << pct << "% " << step << "\n";
    }
    last_pct_ = pct;
    last_step_ = step;
  }

  const char* stop_reason() const override {
    if (g_interrupted) return "cancelled";
    if (std::chrono::steady_clock::now() > deadline_) return "timeout";
    return nullptr;
  }

  void complete(const nlohmann::json& result) override {
    result_ = result;
    completed_ = true;
  }

  void end_line() {
    if (drew_) std::cerr << "\n";
  }

  bool completed() const { return completed_; }
  const nlohmann::json& result() const { return result_; }

 private:
  nlohmann::json job_, result_;
  bool tty_, drew_ = false, completed_ = false;
  int last_pct_ = -1;
  std::string last_step_;
  std::chrono::steady_clock::time_point deadline_;
};

// The first artifact of a result: {artifacts = [{path = ...}]} or {artifact = {path}}.
std::optional<std::filesystem::path> first_artifact(const nlohmann::json& result) {
  const nlohmann::json* a = nullptr;
  if (result.contains("artifacts") && result["artifacts"].is_array() && !result["artifacts"].empty())
    a = &result["artifacts"][0];
  else if (result.contains("artifact") && result["artifact"].is_object())
    a = &result["artifact"];
  if (!a || !a->contains("path") || !(*a)["path"].is_string()) return std::nullopt;
  return store::resolve((*a)["path"].get<std::string>());
}

// Stores a local image file the way an upload is stored (its bytes sniffed,
// the size limit of uploads applied) and returns its /files/ URL.
std::optional<std::string> store_image_file(lua_State* L, const std::string& path) {
  const char* code =
      "local path = ... "
      "local f, err = io.open(path, 'rb') if not f then error(err, 0) end "
      "local data = f:read('*a') f:close() "
      "local media = require('services.media') "
      "local a = media.store_upload({ data = data, size = #data, filename = path:match('[^/]*$') }, "
      "                             'image', media.max_image_bytes(), { purpose = 'cli' }) "
      "return a.url";
  int top = lua_gettop(L);
  bool ok = luaL_loadstring(L, code) == 0;
  if (ok) {
    lua_pushstring(L, path.c_str());
    ok = lua_pcall(L, 1, 1, 0) == 0;
  }
  std::optional<std::string> url;
  if (ok && lua_isstring(L, -1)) {
    url = lua_tostring(L, -1);
  } else {
    std::string why = "not an image";
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "message");
      if (lua_isstring(L, -1)) why = lua_tostring(L, -1);
      lua_pop(L, 1);
    } else if (lua_isstring(L, -1)) {
      why = lua_tostring(L, -1);
    }
    std::cerr << "moonreel: --input " << path << ": " << why << std::endl;
  }
  lua_settop(L, top);
  return url;
}

}  // namespace

int cmd_run(const config::Config& cfg, const RunOptions& opt) {
  nlohmann::json input = nlohmann::json::object();
  std::string image_file;  // --input IMAGE: stored first, then passed as input.image
  if (!opt.input.empty() && opt.input[0] != '{' && opt.input[0] != '@' &&
      std::filesystem::is_regular_file(opt.input)) {
    image_file = opt.input;
  } else if (!opt.input.empty()) {
    std::string text = opt.input;
    if (text[0] == '@') {
      std::ifstream f(text.substr(1));
      if (!f) {
        std::cerr << "moonreel: cannot read " << text.substr(1) << std::endl;
        return 2;
      }
      text.assign(std::istreambuf_iterator<char>(f), {});
    }
    input = nlohmann::json::parse(text, nullptr, false);
    if (input.is_discarded() || !input.is_object()) {
      std::cerr << "moonreel: --input must be a JSON object (or @file holding one)" << std::endl;
      return 2;
    }
  }
  if (!opt.provider.empty()) input["provider"] = opt.provider;
  if (opt.scale > 0) input["scale"] = opt.scale;
  if (!opt.project.empty()) input["project_id"] = opt.project;
  if (!prepare_database(cfg)) return 1;

  runtime::ScriptHost host(cfg.str("root"));
  if (!host.reload()) {
    auto err = host.last_error();
    std::cerr << "moonreel: scripts do not load: "
              << (err ? err->file + ":" + std::to_string(err->line) + ": " + err->message : "?") << std::endl;
    return 1;
  }
  auto gen = host.current();
  const auto& names = gen->workflows();
  if (std::find(names.begin(), names.end(), opt.workflow) == names.end()) {
    std::cerr << "moonreel: no workflow named '" << opt.workflow << "'; known:";
    for (const auto& n : names) std::cerr << " " << n;
    std::cerr << std::endl;
    return 2;
  }
  auto state = gen->make_state();
  lua_State* L = state->lua->get();
  luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);  // the stop hook must reach every loop
  if (!image_file.empty()) {
    auto stored = store_image_file(L, image_file);
    if (!stored) return 2;
    input["image"] = *stored;
  }

  double timeout = opt.timeout_s > 0 ? opt.timeout_s : cfg.number("jobs.timeout_s");
  std::string now = util::iso8601(std::chrono::system_clock::now());
  nlohmann::json job = {{"id", "local-" + util::new_ulid()}, {"workflow", opt.workflow}, {"input", input},
                        {"status", "processing"},           {"attempts", 1},           {"max_attempts", 1},
                        {"timeout_s", timeout},              {"priority", 0},           {"project_id", nullptr},
                        {"clip_id", nullptr},                {"kind", nullptr},         {"created_at", now},
                        {"started_at", now}};
  TerminalContext ctx(job, timeout);
  signal(SIGINT, on_sigint);
  jobs::Outcome out;
  {
    jobs::ScopedJob scope(&ctx);
    out = jobs::execute(L);
  }
  ctx.end_line();
  if (out.status == "completed" && ctx.completed()) {
    std::cout << ctx.result().dump(2) << std::endl;
    if (!opt.output.empty()) {
      auto src = first_artifact(ctx.result());
      if (!src) {
        std::cerr << "moonreel: --output: the result names no artifact" << std::endl;
        return 1;
      }
      std::filesystem::copy_file(*src, opt.output, std::filesystem::copy_options::overwrite_existing);
      std::cerr << "wrote " << opt.output << std::endl;
    }
    return 0;
  }
  if (const char* why = ctx.stop_reason()) {
    std::cerr << "moonreel: stopped (" << why << ")" << std::endl;
    return std::string(why) == "cancelled" ? 130 : 1;
  }
  std::cerr << "moonreel: " << opt.workflow << " failed: " << (out.code.empty() ? "WORKFLOW_ERROR" : out.code)
            << ": " << out.message << std::endl;
  if (!out.traceback.empty()) std::cerr << out.traceback << std::endl;
  return 1;
}

}  // namespace mr::cli
