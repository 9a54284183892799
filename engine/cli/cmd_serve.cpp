// cli/cmd_serve.cpp — `moonreel serve`: scripts, watcher, REPL socket, HTTP, graceful stop.
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "http/server.hpp"
#include "log/log.hpp"
#include "db/db.hpp"
#include "jobs/queue.hpp"
#include "repl/repl.hpp"
#include "store/store.hpp"

namespace mr::cli {

std::string socket_path(const config::Config& cfg) {
  std::string s = cfg.str("repl.socket");
  return s.empty() ? (std::filesystem::path(cfg.str("data")) / "moonreel.sock").string() : s;
}

int cmd_serve(const config::Config& cfg) {
  // SIGINT / SIGTERM are taken by one thread with sigwait; every other thread
  // (created below) inherits the blocked mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::filesystem::create_directories(cfg.str("data"));
  try {
    db::setup_from_config(cfg);  // numbered migrations; a failed one stops start-up, changing nothing
  } catch (const db::DbError& e) {
    log::error("cannot start: database migration failed", {{"error", e.what()}});
    std::cerr << "moonreel: " << e.what() << std::endl;
    return 1;
  }
  runtime::ScriptHost host(cfg.str("root"));
  // Watch first, then load: a save landing between the two is seen by the watcher.
  if (cfg.boolean("reload.enabled")) host.watch(static_cast<int>(cfg.integer("reload.debounce_ms")));
  host.reload();  // a broken tree still starts: health shows last_error until fixed

  // Jobs a killed server left running are recovered before any worker claims.
  jobs::queue().start_workers(host, static_cast<int>(cfg.integer("jobs.workers")));
  jobs::queue().start_webhooks(jobs::webhook_options_from_config(cfg));

  http::Server server(cfg, host);
  int port = server.bind();

  repl::SocketServer repl_server(socket_path(cfg), host);
  try {
    repl_server.start();
  } catch (const std::exception& e) {
    log::warn("REPL socket unavailable", {{"error", e.what()}});
  }

  std::thread signals([&] {
    int sig = 0;
    sigwait(&sigs, &sig);
    log::info("stopping: no new connections; in-flight requests may finish",
              {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    double grace = cfg.number("server.shutdown_grace_s");
    // Bound the drain: a request that never ends must not keep the process alive.
    std::thread([grace] {
      std::this_thread::sleep_for(std::chrono::duration<double>(grace));
      log::warn("shutdown grace period over; exiting with requests still running");
      std::_Exit(0);
    }).detach();
    jobs::queue().begin_stop();  // no new claims while requests drain; event streams end
    server.stop();
  });

  log::info("listening", {{"url", "http://" + cfg.str("server.host") + ":" + std::to_string(port)},
                          {"port", port},
                          {"root", std::filesystem::absolute(cfg.str("root")).string()},
                          {"data", cfg.str("data")}});
  std::cout << "moonreel listening on http://" << cfg.str("server.host") << ":" << port << std::endl;
  server.run();
  jobs::queue().stop(cfg.number("server.shutdown_grace_s"));
  repl_server.stop();
  host.stop_watching();
  log::info("stopped");
  // The signal thread returned after stop(); join it unless stop came from elsewhere.
  if (signals.joinable()) {
    pthread_kill(signals.native_handle(), SIGTERM);
    signals.join();
  }
  return 0;
}

}  // namespace mr::cli
