// jobs/webhooks.hpp — durable, signed webhook deliveries (an outbox in SQLite and one sender thread).
//
// Contract: enqueue() inserts a delivery row with the caller's connection, so
// called inside the transaction that ends a job it commits or rolls back with
// that change (outbox pattern): a completed job always has its delivery, a
// rolled-back one never does. The sender POSTs due rows oldest first, with
//   Content-Type: application/json, User-Agent: moonreel/<version>,
//   X-Moonreel-Event, X-Moonreel-Delivery (the row id: receivers dedupe on it),
//   X-Moonreel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
// and never holds a transaction during the POST. 2xx = delivered; anything
// else (refused, timeout, 3xx — redirects are not followed —, 4xx, 5xx) is
// tried again after backoff_s * 2^(attempts-1) (capped at an hour) until
// max_attempts, then marked failed with the last error. Delivery is
// at-least-once: a row mid-POST at a crash is sent again after restart.
#pragma once
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace mr::config {
class Config;
}

namespace mr::jobs {

struct WebhookOptions {
  std::string secret;
  int max_attempts = 8;
  double backoff_s = 2.0;
  double timeout_s = 10.0;
};

void webhooks_init_schema();
long long webhook_enqueue(const std::string& url, const std::string& event, const std::string& payload_json);
// http:// or https:// with a host; no whitespace or control characters; at most 2048 bytes.
bool webhook_url_valid(const std::string& url, std::string* why = nullptr);
std::string hmac_sha256_hex(const std::string& key, const std::string& data);
std::string webhook_signature(const std::string& secret, long long unix_ts, const std::string& body);
// webhooks.secret, or <data>/webhook.secret (32 random bytes as hex, mode 0600, made once).
std::string webhook_secret_from_config(const config::Config& cfg);
WebhookOptions webhook_options_from_config(const config::Config& cfg);

class WebhookSender {
 public:
  explicit WebhookSender(WebhookOptions opt);
  ~WebhookSender();
  void start();
  void stop();
  void notify();
  std::map<std::string, long long> counts();

 private:
  void loop();
  bool deliver_due();  // true when a row was tried

  WebhookOptions opt_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  unsigned long long wakeups_ = 0;
};

}  // namespace mr::jobs
