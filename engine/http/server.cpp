// http/server.cpp — httplib wiring: ids, routing, errors, CORS, health, request log.
#include "http/server.hpp"

#include <httplib.h>

#include <sys/socket.h>

#include <random>

#include "http/envelope.hpp"
#include "http/file_response.hpp"
#include "http/lua_exchange.hpp"
#include "log/log.hpp"
#include "util/time.hpp"

namespace mr::http {

namespace {

// One request is processed at a time on a worker thread, so the id and start
// time of the current request live in thread-locals set by the pre-routing
// hook and read by the error handler and the logger.
thread_local std::string t_request_id;
thread_local std::chrono::steady_clock::time_point t_started;

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  uint64_t v = rng();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) id[i] = hex[v & 15];
  return id;
}

// A client-supplied id is kept when it is short and plain, so a trace can
// cross services; anything else gets a fresh id.
bool acceptable_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& details = "{}") {
  res.status = status;
  res.set_content(error_envelope(code_for_status(status), message, details), "application/json");
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

Server::Server(const config::Config& cfg, runtime::ScriptHost& host)
    : cfg_(cfg), host_(host), svr_(std::make_unique<httplib::Server>()), started_(std::chrono::steady_clock::now()) {
  cors_origins_ = cfg_.list("server.cors_origins");
  size_t workers = static_cast<size_t>(std::max<long long>(1, cfg_.integer("server.workers")));
  svr_->new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  svr_->set_payload_max_length(static_cast<size_t>(cfg_.integer("server.max_body_bytes")));
  svr_->set_keep_alive_max_count(static_cast<size_t>(cfg_.integer("server.keep_alive_max")));
  svr_->set_keep_alive_timeout(static_cast<time_t>(cfg_.integer("server.keep_alive_timeout_s")));
  svr_->set_tcp_nodelay(true);
  // cpp-httplib (a compiled Debian library) listens with a backlog of 5: under
  // a burst of connections the kernel drops handshakes and clients retry after
  // 1 s or more. Keep the listening socket's fd to listen() again with a real
  // backlog once it is bound.
  svr_->set_socket_options([this](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_fd_ = sock;
  });

  svr_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    t_started = std::chrono::steady_clock::now();
    std::string incoming = req.get_header_value("X-Request-Id");
    t_request_id = acceptable_id(incoming) ? incoming : new_request_id();
    log::set_request_id(t_request_id);
    res.set_header("X-Request-Id", t_request_id);
    return httplib::Server::HandlerResponse::Unhandled;
  });

  auto h = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  svr_->Get(".*", h);
  svr_->Post(".*", h);
  svr_->Put(".*", h);
  svr_->Patch(".*", h);
  svr_->Delete(".*", h);
  svr_->Options(".*", h);

  // Responses httplib produces itself (413, 400 for a bad request line, ...)
  // reach here with an empty body: give them the envelope.
  svr_->set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                         httplib::Response& res) {
    if (!res.body.empty() || res.is_chunked_content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    if (t_request_id.empty()) t_request_id = new_request_id();
    if (!res.has_header("X-Request-Id")) res.set_header("X-Request-Id", t_request_id);
    std::string msg = res.status == 413 ? "request body is larger than the limit of " +
                                              std::to_string(cfg_.integer("server.max_body_bytes")) + " bytes"
                                        : default_message(res.status);
    res.set_content(error_envelope(code_for_status(res.status), msg), "application/json");
    apply_cors(req, res);
    return httplib::Server::HandlerResponse::Handled;
  }));

  svr_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log::error("unhandled exception in request", {{"error", what}});
    send_error(res, 500, "internal error");
  });

  svr_->set_logger([](const httplib::Request& req, const httplib::Response& res) {
    if (!log::enabled(log::Level::Info)) {  // don't build a line nobody will write
      t_request_id.clear();
      log::set_request_id("");
      return;
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_started).count();
    log::info("request", {{"method", req.method},
                          {"path", req.path},
                          {"status", res.status},
                          {"duration_ms", std::round(ms * 1000) / 1000},
                          {"bytes", res.body.size()}});
    t_request_id.clear();
    log::set_request_id("");
  });
}

Server::~Server() = default;

int Server::bind() {
  std::string host = cfg_.str("server.host");
  int port = static_cast<int>(cfg_.integer("server.port"));
  if (port == 0) {
    port = svr_->bind_to_any_port(host);
    if (port < 0) throw std::runtime_error("cannot bind to " + host);
  } else if (!svr_->bind_to_port(host, port)) {
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + " (in use or not permitted)");
  }
  if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);  // Linux updates the backlog of a listening socket
  return port;
}

void Server::run() { svr_->listen_after_bind(); }

void Server::stop() {
  begin_draining();
  svr_->stop();
}

void Server::apply_cors(const httplib::Request& req, httplib::Response& res) {
  if (cors_origins_.empty()) return;
  std::string origin = req.get_header_value("Origin");
  if (origin.empty()) return;
  bool any = std::find(cors_origins_.begin(), cors_origins_.end(), "*") != cors_origins_.end();
  if (!any && std::find(cors_origins_.begin(), cors_origins_.end(), origin) == cors_origins_.end()) return;
  res.set_header("Access-Control-Allow-Origin", any ? "*" : origin);
  if (!any) res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Expose-Headers", "X-Request-Id");
}

void Server::handle_health(httplib::Response& res) {
  auto gen = host_.current();
  auto err = host_.last_error();
  nlohmann::json last_error = nullptr;
  if (err) last_error = {{"message", err->message}, {"file", err->file}, {"line", err->line}};
  double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  nlohmann::json body = {{"status", "ok"},
                         {"version", MOONREEL_VERSION},
                         {"uptime_s", std::round(uptime * 1000) / 1000},
                         {"scripts",
                          {{"generation", gen->number()},
                           {"loaded_at", util::iso8601(gen->loaded_at())},
                           {"routes", gen->router().routes().size()},
                           {"last_error", last_error}}}};
  res.status = 200;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void Server::handle(const httplib::Request& req, httplib::Response& res) {
  apply_cors(req, res);
  if ((req.method == "GET" || req.method == "HEAD") && (req.path == "/health" || req.path == "/api/v1/health")) {
    handle_health(res);
    return;
  }
  if ((req.method == "GET" || req.method == "HEAD") && req.path.starts_with("/files/")) {
    serve_artifact(req, res, req.path.substr(7));
    return;
  }

  auto gen = host_.current();
  RouteMatch m = gen->router().match(req.method, req.path);
  if (m.kind != RouteMatch::Kind::Found) {
    if (req.method == "OPTIONS" && m.kind == RouteMatch::Kind::MethodNotAllowed) {
      // Preflight / capability query for a known path.
      std::string allow = join(m.allow, ", ");
      res.status = 204;
      res.set_header("Allow", allow);
      if (res.has_header("Access-Control-Allow-Origin")) {
        res.set_header("Access-Control-Allow-Methods", allow);
        std::string want = req.get_header_value("Access-Control-Request-Headers");
        if (!want.empty()) res.set_header("Access-Control-Allow-Headers", want);
        res.set_header("Access-Control-Max-Age", "600");
      }
      return;
    }
    if (m.kind == RouteMatch::Kind::MethodNotAllowed) {
      res.set_header("Allow", join(m.allow, ", "));
      send_error(res, 405, "method " + req.method + " is not allowed on " + req.path,
                 nlohmann::json({{"allow", m.allow}}).dump());
      return;
    }
    send_error(res, 404, "no route for " + req.method + " " + req.path);
    return;
  }

  std::shared_ptr<runtime::Generation::Lease> lease;
  try {
    lease = std::make_shared<runtime::Generation::Lease>(gen->acquire());
  } catch (const std::exception& e) {
    log::error("cannot make a Lua state for the request", {{"error", e.what()}});
    send_error(res, 500, "internal error");
    return;
  }
  lua_State* L = lease->L();
  lua_rawgeti(L, LUA_REGISTRYINDEX, lease->state().dispatch_ref);
  lua_pushinteger(L, m.route->index);
  try {
    push_request(L, req, m, t_request_id);
  } catch (const BadRequest& e) {
    lua_settop(L, 0);
    send_error(res, 400, e.what());
    return;
  }
  if (runtime::pcall_traceback(L, 2, 1) != 0) {
    log::error("request dispatch failed", {{"error", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?"}});
    lua_settop(L, 0);
    send_error(res, 500, "internal error");
    return;
  }
  write_response(lease, req, res);
}

}  // namespace mr::http
