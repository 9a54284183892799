// jobs/webhooks.cpp — see webhooks.hpp.
#include "jobs/webhooks.hpp"

#include <httplib.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "config/config.hpp"
#include "db/db.hpp"
#include "log/log.hpp"
#include "store/store.hpp"
#include "util/time.hpp"

namespace mr::jobs {

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

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

// "https://host:port/path?q" → ("https://host:port", "/path?q").
bool split_url(const std::string& url, std::string& origin, std::string& path) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  auto slash = url.find('/', scheme_end + 3);
  origin = url.substr(0, slash);
  path = slash == std::string::npos ? "/" : url.substr(slash);
  return origin.size() > scheme_end + 3;
}

}  // namespace

void webhooks_init_schema() {
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
                  {url, event, payload_json, util::iso8601(std::chrono::system_clock::now())})
      .last_insert_id;
}

bool webhook_url_valid(const std::string& url, std::string* why) {
  auto fail = [&](const char* m) {
    if (why) *why = m;
    return false;
  };
  if (url.size() > 2048) return fail("longer than 2048 characters");
  for (unsigned char c : url)
    if (c <= 32 || c == 127) return fail("contains whitespace or control characters");
  if (!url.starts_with("http://") && !url.starts_with("https://")) return fail("must start with http:// or https://");
  std::string origin, path;
  if (!split_url(url, origin, path)) return fail("has no host");
  return true;
}

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &n);
  return hex(out, n);
}

std::string webhook_signature(const std::string& secret, long long unix_ts, const std::string& body) {
  std::string t = std::to_string(unix_ts);
  return "t=" + t + ",v1=" + hmac_sha256_hex(secret, t + "." + body);
}

std::string webhook_secret_from_config(const config::Config& cfg) {
  std::string s = cfg.str("webhooks.secret");
  if (!s.empty()) return s;
  auto path = std::filesystem::path(cfg.str("data")) / "webhook.secret";
  if (std::ifstream f{path}; f) {
    std::getline(f, s);
    if (!s.empty()) return s;
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("webhooks: no randomness for a secret");
  s = hex(raw, sizeof raw);
  std::filesystem::create_directories(path.parent_path());
  store::write_atomic(path, s + "\n");
  ::chmod(path.c_str(), 0600);
  log::info("webhook signing secret created", {{"path", path.string()}});
  return s;
}

WebhookOptions webhook_options_from_config(const config::Config& cfg) {
  WebhookOptions o;
  o.secret = webhook_secret_from_config(cfg);
  o.max_attempts = static_cast<int>(cfg.integer("webhooks.max_attempts"));
  o.backoff_s = cfg.number("webhooks.backoff_s");
  o.timeout_s = cfg.number("webhooks.timeout_s");
  return o;
}

WebhookSender::WebhookSender(WebhookOptions opt) : opt_(std::move(opt)) {}
WebhookSender::~WebhookSender() { stop(); }

void WebhookSender::start() {
  webhooks_init_schema();
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
  std::map<std::string, long long> out;
  for (const auto& r : db::query("SELECT status, count(*) AS n FROM mr_webhooks GROUP BY status"))
    out[get_or<std::string>(r, "status", "")] = get_or<long long>(r, "n", 0);
  return out;
}

bool WebhookSender::deliver_due() {
  auto rows = db::query("SELECT * FROM mr_webhooks WHERE status = 'pending' AND next_at <= ? ORDER BY id LIMIT 1",
                        {unix_now()});
  if (rows.empty()) return false;
  const auto& r = rows.front();
  long long id = get_or<long long>(r, "id", 0);
  long long attempts = get_or<long long>(r, "attempts", 0) + 1;
  std::string url = get_or<std::string>(r, "url", ""), body = get_or<std::string>(r, "payload", "");
  std::string event = get_or<std::string>(r, "event", "");

  std::string origin, path, error;
  int status = 0;
  if (!split_url(url, origin, path)) {
    error = "invalid URL";
  } else {
    httplib::Client cli(origin);
    auto secs = static_cast<time_t>(opt_.timeout_s);
    auto usecs = static_cast<time_t>((opt_.timeout_s - secs) * 1e6);
    cli.set_connection_timeout(secs, usecs);
    cli.set_read_timeout(secs, usecs);
    cli.set_write_timeout(secs, usecs);
    cli.set_follow_location(false);
    httplib::Headers headers = {
        {"User-Agent", std::string("moonreel/") + MOONREEL_VERSION},
        {"X-Moonreel-Event", event},
        {"X-Moonreel-Delivery", std::to_string(id)},
        {"X-Moonreel-Signature", webhook_signature(opt_.secret, static_cast<long long>(unix_now()), body)}};
    auto res = cli.Post(path, headers, body, "application/json");
    if (!res) {
      error = "request failed: " + httplib::to_string(res.error());
    } else {
      status = res->status;
      if (status < 200 || status >= 300) error = "HTTP " + std::to_string(status);
    }
  }
  std::string now = util::iso8601(std::chrono::system_clock::now());
  if (error.empty()) {
    db::exec("UPDATE mr_webhooks SET status = 'delivered', attempts = ?, last_status = ?, last_error = NULL, "
             "delivered_at = ? WHERE id = ?",
             {attempts, static_cast<long long>(status), now, id});
  } else if (attempts >= opt_.max_attempts) {
    db::exec("UPDATE mr_webhooks SET status = 'failed', attempts = ?, last_status = ?, last_error = ? WHERE id = ?",
             {attempts, status ? db::Value(static_cast<long long>(status)) : db::Value(nullptr), error, id});
    log::error("webhook delivery failed for good", {{"delivery", id}, {"url", url}, {"attempts", attempts}, {"error", error}});
  } else {
    double delay = std::min(3600.0, opt_.backoff_s * std::pow(2.0, static_cast<double>(attempts - 1)));
    db::exec("UPDATE mr_webhooks SET attempts = ?, next_at = ?, last_status = ?, last_error = ? WHERE id = ?",
             {attempts, unix_now() + delay, status ? db::Value(static_cast<long long>(status)) : db::Value(nullptr),
              error, id});
    log::warn("webhook delivery failed; will retry", {{"delivery", id}, {"url", url}, {"attempt", attempts},
                                                      {"retry_in_s", delay}, {"error", error}});
  }
  return true;
}

void WebhookSender::loop() {
  auto last_prune = std::chrono::steady_clock::now();
  while (true) {
    unsigned long long seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      seen = wakeups_;
    }
    double next = 0;
    try {
      while (deliver_due()) {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
      }
      auto due = db::query("SELECT min(next_at) AS t FROM mr_webhooks WHERE status = 'pending'");
      if (!due.empty()) {
        next = get_or<double>(due.front(), "t", 0);
        if (next == 0) next = static_cast<double>(get_or<long long>(due.front(), "t", 0));
      }
      if (std::chrono::steady_clock::now() - last_prune > std::chrono::hours(1)) {
        last_prune = std::chrono::steady_clock::now();
        db::exec("DELETE FROM mr_webhooks WHERE status = 'delivered' AND delivered_at < ?",
                 {util::iso8601(std::chrono::system_clock::now() - std::chrono::hours(24 * 7))});
      }
    } catch (const std::exception& e) {
      log::error("webhook sender error", {{"error", e.what()}});
      next = unix_now() + 1;
    }
    std::unique_lock<std::mutex> lock(mu_);
    double wait = next > 0 ? std::clamp(next - unix_now(), 0.001, 60.0) : 60.0;
    cv_.wait_for(lock, std::chrono::duration<double>(wait), [&] { return stopping_ || wakeups_ != seen; });
  }
}

}  // namespace mr::jobs
