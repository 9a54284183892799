// http/server.hpp — the HTTP front: cpp-httplib threads → router → a leased Lua state.
//
// Contract: every request gets an id (X-Request-Id), a log line and, on any
// failure, the error envelope. Built-in routes are only the engine's own:
// /health and /api/v1/health. Everything else is the current generation's Lua
// routes. run() blocks until stop(); stop() stops accepting, lets in-flight
// requests finish, and returns (the caller bounds how long).
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "runtime/script_host.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace mr::http {

class Server {
 public:
  Server(const config::Config& cfg, runtime::ScriptHost& host);
  ~Server();

  // Binds; returns the bound port (useful with port 0). Throws on failure.
  int bind();
  void run();  // serves until stop()
  void stop();

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  void handle_health(httplib::Response& res);
  void apply_cors(const httplib::Request& req, httplib::Response& res);

  const config::Config& cfg_;
  runtime::ScriptHost& host_;
  std::unique_ptr<httplib::Server> svr_;
  std::chrono::steady_clock::time_point started_;
  std::vector<std::string> cors_origins_;
  int listen_fd_ = -1;
};

}  // namespace mr::http
