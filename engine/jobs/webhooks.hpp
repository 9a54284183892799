// jobs/webhooks.hpp — durable, signed webhook deliveries (an outbox in SQLite and one sender thread).
//
// Contract: webhook_enqueue() inserts a delivery row with the caller's
// connection, so called inside the transaction that ends a job it commits or
// rolls back with that change (outbox pattern): a completed job always has its
// delivery, a rolled-back one never does. The sender POSTs due rows oldest
// first, on its own thread and connection, with
//   Content-Type: application/json, User-Agent: moonreel/<version>,
//   X-Moonreel-Event, X-Moonreel-Delivery (the row id; ids are never reused),
//   X-Moonreel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
// and never holds a transaction during the POST. 2xx = delivered; anything
// else (refused, timeout, 3xx — redirects are not followed —, 4xx, 5xx) is
// tried again after backoff_s * 2^(attempts-1) (capped at an hour) until
// max_attempts, then marked failed with the last error; a URL that cannot be
// parsed fails at once. Delivery is at-least-once: before a POST the row is
// leased (next_at moves a few timeouts ahead, so a second sender on the same
// file skips it), and a row mid-POST at a crash is simply pending again and
// sent once the lease ends — receivers dedupe on X-Moonreel-Delivery.
// Delivered rows older than 7 days are pruned (at start, then hourly).
#pragma once
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
  std::string secret;       // HMAC key (non-empty)
  int max_attempts = 8;     // deliveries tried before status 'failed'
  double backoff_s = 2.0;   // first redelivery delay; doubles each attempt (capped at an hour)
  double timeout_s = 10.0;  // connect, send and read timeout of one delivery
};

// mr_webhooks (engine-owned, CREATE TABLE IF NOT EXISTS): id, url, event,
// payload (JSON text), status ('pending' | 'delivered' | 'failed'), attempts,
// next_at (unix seconds), last_error, last_status (HTTP code), created_at,
// delivered_at (ISO-8601 UTC).
void webhooks_init_schema();
// Returns the delivery id. Never validates (a throw would roll back the
// caller's change): an unusable URL is marked failed by the sender.
long long webhook_enqueue(const std::string& url, const std::string& event, const std::string& payload_json);
// http:// or https:// with a host (name, IPv4 or [IPv6]) and an optional port,
// no credentials, no whitespace or control characters, at most 2048 bytes.
// `why` completes "webhook_url ...".
bool webhook_url_valid(const std::string& url, std::string* why = nullptr);
std::string hmac_sha256_hex(const std::string& key, const std::string& data);
// "t=<unix_ts>,v1=<hmac_sha256_hex(secret, "<t>.<body>")>".
std::string webhook_signature(const std::string& secret, long long unix_ts, const std::string& body);
// webhooks.secret, or <data>/webhook.secret (32 random bytes as hex, mode 0600, made once).
std::string webhook_secret_from_config(const config::Config& cfg);
WebhookOptions webhook_options_from_config(const config::Config& cfg);

class WebhookSender {
 public:
  explicit WebhookSender(WebhookOptions opt);  // throws std::invalid_argument on an empty secret
  ~WebhookSender();                            // stop()
  void start();                                // creates the table if missing; no-op when running
  void stop();    // joins; an in-flight POST may finish (bounded by the timeouts)
  void notify();  // a new row was committed: look now instead of at the next timer
  // Rows by status; 'pending', 'delivered' and 'failed' are always present.
  std::map<std::string, long long> counts();

 private:
  void loop();
  bool deliver_one();  // true when a due row was found

  WebhookOptions opt_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  unsigned long long wakeups_ = 0;
};

}  // namespace mr::jobs
