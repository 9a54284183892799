// jobs/webhooks.cpp — see webhooks.hpp.
#include "jobs/webhooks.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "config/config.hpp"
#include "db/db.hpp"
#include "log/log.hpp"
#include "util/time.hpp"

namespace fs = std::filesystem;

namespace mr::jobs {

namespace {

constexpr double kMaxBackoffS = 3600;
constexpr size_t kErrorBodyBytes = 200;  // of a non-2xx answer, kept in last_error
constexpr auto kPruneEvery = std::chrono::hours(1);
constexpr auto kKeepDelivered = std::chrono::hours(24 * 7);
constexpr double kIdlePollS = 60;  // rows recorded by another process (no notify) wait at most this

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string iso_now() { return util::iso8601(std::chrono::system_clock::now()); }

std::string hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = d[p[i] >> 4];
    out[2 * i + 1] = d[p[i] & 15];
  }
  return out;
}

template <typename T>
T get_or(const db::Row& r, const char* k, T fallback) {
  auto it = r.find(k);
  if (it == r.end()) return fallback;
  if (auto v = std::get_if<T>(&it->second)) return *v;
  return fallback;
}

// Printable ASCII only: answers and errors land in logs and JSON, which need valid text.
std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c < 0x20 || c > 0x7e) c = '?';
  return out;
}

// Logging never stops a delivery's bookkeeping (it runs after the row is updated).
void log_quietly(log::Level lvl, const std::string& msg, const nlohmann::json& fields) {
  try {
    log::write(lvl, msg, fields);
  } catch (...) {
  }
}

/* -- URLs ------------------------------------------------------------------ */

struct Target {
  bool tls = false;
  std::string host;         // without [ ]
  int port = 0;
  std::string host_header;  // the authority as written: host[:port]
  std::string path;         // "/..." with the query, without the fragment
};

bool host_char(unsigned char c) { return std::isalnum(c) || c == '.' || c == '-' || c == '_'; }

std::optional<Target> parse_url(const std::string& url, std::string* why) {
  auto fail = [&](const char* m) -> std::optional<Target> {
    if (why) *why = m;
    return std::nullopt;
  };
  if (url.size() > 2048) return fail("must be at most 2048 characters");
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f) return fail("must not contain whitespace or control characters");
  auto sep = url.find("://");
  std::string scheme = sep == std::string::npos ? "" : url.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme != "http" && scheme != "https") return fail("must start with http:// or https://");

  Target t;
  t.tls = scheme == "https";
  std::string rest = url.substr(sep + 3);
  size_t auth_end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string authority = rest.substr(0, auth_end);
  if (authority.find('@') != std::string::npos) return fail("must not contain credentials");

  std::string after;  // what follows the host: "" or ":port"
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string::npos) return fail("has an unterminated [IPv6] host");
    t.host = authority.substr(1, close - 1);
    after = authority.substr(close + 1);
    if (t.host.find(':') == std::string::npos) return fail("has an invalid [IPv6] host");
    for (unsigned char c : t.host)
      if (!std::isxdigit(c) && c != ':' && c != '.') return fail("has an invalid [IPv6] host");
  } else {
    auto colon = authority.find(':');
    t.host = authority.substr(0, colon);
    after = colon == std::string::npos ? "" : authority.substr(colon);
    for (unsigned char c : t.host)
      if (!host_char(c)) return fail("has an invalid host");
  }
  if (t.host.empty()) return fail("has no host");
  t.port = t.tls ? 443 : 80;
  if (!after.empty()) {
    std::string digits = after.substr(1);
    if (after[0] != ':' || digits.empty() || digits.size() > 5 ||
        !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
      return fail("has an invalid port");
    t.port = std::stoi(digits);
    if (t.port < 1 || t.port > 65535) return fail("has an invalid port");
  }
  t.host_header = authority;
  t.path = rest.substr(auth_end);
  t.path = t.path.substr(0, t.path.find('#'));  // fragments stay with the client
  if (t.path.empty() || t.path[0] == '?') t.path = "/" + t.path;
  return t;
}

/* -- One POST -------------------------------------------------------------- */

struct Outcome {
  int status = 0;     // HTTP status; 0 = no answer
  std::string error;  // "" = delivered
};

Outcome post(const Target& t, const httplib::Headers& headers, const std::string& body, double timeout_s) {
  std::unique_ptr<httplib::ClientImpl> cli;
  if (t.tls) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    cli = std::make_unique<httplib::SSLClient>(t.host, t.port);  // verifies against the system CAs
#else
    return {0, "https is not supported by this build"};
#endif
  } else {
    cli = std::make_unique<httplib::ClientImpl>(t.host, t.port);
  }
  auto secs = static_cast<time_t>(timeout_s);
  auto usecs = static_cast<time_t>((timeout_s - static_cast<double>(secs)) * 1e6);
  cli->set_connection_timeout(secs, usecs);
  cli->set_read_timeout(secs, usecs);
  cli->set_write_timeout(secs, usecs);
  cli->set_follow_location(false);

  Outcome out;
  std::string head;  // the start of the answer's body
  auto timeout =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(timeout_s));
  auto body_deadline = std::chrono::steady_clock::time_point::max();
  httplib::Request req;
  req.method = "POST";
  req.path = t.path;
  req.headers = headers;
  req.headers.emplace("Host", t.host_header);
  req.headers.emplace("Content-Type", "application/json");
  req.body = body;
  // The status decides; the body is read (for last_error) for at most one timeout, never stored whole.
  req.response_handler = [&](const httplib::Response&) {
    body_deadline = std::chrono::steady_clock::now() + timeout;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (head.size() < kErrorBodyBytes) head.append(data, std::min(n, kErrorBodyBytes - head.size()));
    return std::chrono::steady_clock::now() < body_deadline;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  bool ok = cli->send(req, res, err);
  out.status = res.status > 0 ? res.status : 0;  // set once the status line is read, even if the body is cut
  if (out.status == 0) {
    out.error = "request failed: " + (ok ? std::string("no status") : httplib::to_string(err));
  } else if (out.status < 200 || out.status >= 300) {
    out.error = "HTTP " + std::to_string(out.status) + (head.empty() ? "" : ": " + printable(head));
  }
  return out;
}

/* -- The secret file ------------------------------------------------------- */

std::string read_trimmed(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return "";
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  auto b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// A private temp file holding `text`, fsynced; its path.
fs::path write_private_temp(const fs::path& near, const std::string& text) {
  unsigned char r[8];
  RAND_bytes(r, sizeof r);
  fs::path tmp = near;
  tmp += ".tmp-" + hex(r, sizeof r);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("webhooks: cannot create " + tmp.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  int e = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("webhooks: cannot write " + tmp.string() + ": " + std::strerror(e));
  }
  return tmp;
}

}  // namespace

/* -- Outbox ---------------------------------------------------------------- */

void webhooks_init_schema() {
  // AUTOINCREMENT: ids are never reused after pruning, so receivers can dedupe on them.
  db::exec(R"(CREATE TABLE IF NOT EXISTS mr_webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    last_status INTEGER,
    created_at TEXT NOT NULL,
    delivered_at TEXT))");
  db::exec("CREATE INDEX IF NOT EXISTS mr_webhooks_due ON mr_webhooks(status, next_at)");
}

long long webhook_enqueue(const std::string& url, const std::string& event, const std::string& payload_json) {
  return db::exec("INSERT INTO mr_webhooks (url, event, payload, created_at) VALUES (?, ?, ?, ?)",
                  {url, event, payload_json, iso_now()})
      .last_insert_id;
}

bool webhook_url_valid(const std::string& url, std::string* why) { return parse_url(url, why).has_value(); }

/* -- Signing ----------------------------------------------------------------- */

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), out, &n))
    throw std::runtime_error("webhooks: HMAC-SHA256 failed");
  return hex(out, n);
}

std::string webhook_signature(const std::string& secret, long long unix_ts, const std::string& body) {
  std::string t = std::to_string(unix_ts);
  return "t=" + t + ",v1=" + hmac_sha256_hex(secret, t + "." + body);
}

std::string webhook_secret_from_config(const config::Config& cfg) {
  if (std::string s = cfg.str("webhooks.secret"); !s.empty()) return s;
  fs::path data = cfg.str("data").empty() ? fs::path(cfg.str("root")) / "var" : fs::path(cfg.str("data"));
  fs::path path = data / "webhook.secret";
  // Made once: written privately (0600 from the first byte), then linked into place,
  // so two processes starting together agree on one secret.
  for (int tries = 0; tries < 3; ++tries) {
    if (std::string s = read_trimmed(path); !s.empty()) return s;
    fs::create_directories(data);
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("webhooks: no randomness for a secret");
    std::string s = hex(raw, sizeof raw);
    fs::path tmp = write_private_temp(path, s + "\n");
    bool placed = fs::exists(path) ? ::rename(tmp.c_str(), path.c_str()) == 0  // an empty file: replace it
                                   : ::link(tmp.c_str(), path.c_str()) == 0;   // EEXIST: someone else won
    int e = errno;
    ::unlink(tmp.c_str());
    if (placed) {
      log::info("webhook signing secret created", {{"path", path.string()}});
      return s;
    }
    if (e != EEXIST) throw std::runtime_error("webhooks: cannot create " + path.string() + ": " + std::strerror(e));
  }
  throw std::runtime_error("webhooks: " + path.string() + " stays empty");
}

WebhookOptions webhook_options_from_config(const config::Config& cfg) {
  WebhookOptions o;
  o.secret = webhook_secret_from_config(cfg);
  o.max_attempts = static_cast<int>(cfg.integer("webhooks.max_attempts"));
  o.backoff_s = cfg.number("webhooks.backoff_s");
  o.timeout_s = cfg.number("webhooks.timeout_s");
  return o;
}

/* -- Sender ------------------------------------------------------------------ */

WebhookSender::WebhookSender(WebhookOptions opt) : opt_(std::move(opt)) {
  if (opt_.secret.empty()) throw std::invalid_argument("webhooks: the signing secret is empty");
  opt_.max_attempts = std::max(1, opt_.max_attempts);
  opt_.backoff_s = std::max(0.0, opt_.backoff_s);
  if (!(opt_.timeout_s > 0)) opt_.timeout_s = 10;
}

WebhookSender::~WebhookSender() { stop(); }

void WebhookSender::start() {
  if (thread_.joinable()) return;
  webhooks_init_schema();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void WebhookSender::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WebhookSender::notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wakeups_;
  }
  cv_.notify_all();
}

std::map<std::string, long long> WebhookSender::counts() {
  std::map<std::string, long long> out{{"pending", 0}, {"delivered", 0}, {"failed", 0}};
  for (const auto& r : db::query("SELECT status, count(*) AS n FROM mr_webhooks GROUP BY status"))
    out[get_or<std::string>(r, "status", "")] = get_or<long long>(r, "n", 0);
  return out;
}

bool WebhookSender::deliver_one() {
  double now = unix_now();
  auto rows = db::query(
      "SELECT id, url, event, payload, attempts FROM mr_webhooks "
      "WHERE status = 'pending' AND next_at <= ? ORDER BY id LIMIT 1",
      {now});
  if (rows.empty()) return false;
  const auto& r = rows.front();
  long long id = get_or<long long>(r, "id", 0);
  long long attempts = get_or<long long>(r, "attempts", 0) + 1;
  std::string url = get_or<std::string>(r, "url", ""), event = get_or<std::string>(r, "event", "");
  std::string body = get_or<std::string>(r, "payload", "");
  // The lease: another sender on this file that read the same row loses this update and moves on.
  double lease = 3 * opt_.timeout_s + 5;
  if (db::exec("UPDATE mr_webhooks SET next_at = ? WHERE id = ? AND status = 'pending' AND next_at <= ?",
               {now + lease, id, now})
          .changes == 0)
    return true;

  std::string why;
  auto target = parse_url(url, &why);
  Outcome out;
  bool permanent = !target;
  if (permanent) {
    out.error = "invalid URL: " + why;
  } else {
    httplib::Headers headers = {
        {"User-Agent", std::string("moonreel/") + MOONREEL_VERSION},
        {"X-Moonreel-Event", event},
        {"X-Moonreel-Delivery", std::to_string(id)},
        {"X-Moonreel-Signature", webhook_signature(opt_.secret, static_cast<long long>(unix_now()), body)}};
    out = post(*target, headers, body, opt_.timeout_s);
  }

  db::Value last_status = nullptr;
  if (out.status) last_status = static_cast<long long>(out.status);
  nlohmann::json fields = {{"delivery", id}, {"url", printable(url)}, {"event", printable(event)},
                           {"attempt", attempts}, {"error", out.error}};
  if (out.error.empty()) {
    db::exec("UPDATE mr_webhooks SET status = 'delivered', attempts = ?, last_status = ?, last_error = NULL, "
             "delivered_at = ? WHERE id = ?",
             {attempts, last_status, iso_now(), id});
  } else if (permanent || attempts >= opt_.max_attempts) {
    db::exec("UPDATE mr_webhooks SET status = 'failed', attempts = ?, last_status = ?, last_error = ? WHERE id = ?",
             {attempts, last_status, out.error, id});
    log_quietly(log::Level::Error, "webhook delivery failed for good", fields);
  } else {
    double delay = std::min(kMaxBackoffS, opt_.backoff_s * std::pow(2.0, static_cast<double>(attempts - 1)));
    db::exec("UPDATE mr_webhooks SET attempts = ?, next_at = ?, last_status = ?, last_error = ? WHERE id = ?",
             {attempts, unix_now() + delay, last_status, out.error, id});
    fields["retry_in_s"] = delay;
    log_quietly(log::Level::Warn, "webhook delivery failed; will retry", fields);
  }
  return true;
}

void WebhookSender::loop() {
  std::optional<std::chrono::steady_clock::time_point> last_prune;  // none yet: prune at start
  while (true) {
    unsigned long long seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
      seen = wakeups_;
    }
    double wait_s = kIdlePollS;
    try {
      if (!last_prune || std::chrono::steady_clock::now() - *last_prune > kPruneEvery) {
        last_prune = std::chrono::steady_clock::now();
        db::exec("DELETE FROM mr_webhooks WHERE status = 'delivered' AND delivered_at < ?",
                 {util::iso8601(std::chrono::system_clock::now() - kKeepDelivered)});
      }
      while (deliver_one()) {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) break;
      }
      auto due = db::query("SELECT min(next_at) AS t FROM mr_webhooks WHERE status = 'pending'");
      if (!due.empty()) {
        const db::Value& t = due.front().at("t");
        if (auto d = std::get_if<double>(&t)) wait_s = *d - unix_now();
        if (auto i = std::get_if<long long>(&t)) wait_s = static_cast<double>(*i) - unix_now();
      }
    } catch (const std::exception& e) {
      log_quietly(log::Level::Error, "webhook sender error", {{"error", e.what()}});
      wait_s = 1;
    }
    std::unique_lock<std::mutex> lock(mu_);
    auto wait = std::chrono::duration<double>(std::clamp(wait_s, 0.001, kIdlePollS));
    cv_.wait_for(lock, wait, [&] { return stopping_ || wakeups_ != seen; });
  }
  db::close_thread_connection();
}

}  // namespace mr::jobs
