// unit/test_webhooks.cpp — webhook deliveries against a local receiver: signing (RFC 4231 vectors),
// URL checks, headers, retries with backoff, giving up, the outbox's transactions, durability across a
// restart, the lease between two senders, pruning and the secret file. Waits poll with a deadline.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "db/db.hpp"
#include "jobs/webhooks.hpp"

namespace fs = std::filesystem;
using namespace mr;

namespace {

// A fresh database file with the outbox table, removed afterwards.
struct HookDb {
  fs::path dir;
  HookDb() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("moonreel-webhooks-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir);
    db::configure((dir / "hooks.db").string(), 5000);
    jobs::webhooks_init_schema();
  }
  ~HookDb() {
    db::close_thread_connection();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

struct Call {
  std::string path, body;
  httplib::Headers headers;
  httplib::Params params;
  std::string header(const std::string& k) const {
    auto it = headers.find(k);
    return it == headers.end() ? "" : it->second;
  }
};

// An HTTP receiver on an ephemeral port; `answer(n, path)` gives the status of the n-th call (1-based).
struct Receiver {
  httplib::Server srv;
  std::thread th;
  int port = 0;
  std::mutex mu;
  std::vector<Call> calls;
  std::function<int(int, const std::string&)> answer;

  explicit Receiver(std::function<int(int, const std::string&)> a = [](int, const std::string&) { return 200; })
      : answer(std::move(a)) {
    srv.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      int n;
      {
        std::lock_guard<std::mutex> lock(mu);
        calls.push_back({req.path, req.body, req.headers, req.params});
        n = static_cast<int>(calls.size());
      }
      res.status = answer(n, req.path);
      if (res.status >= 300 && res.status < 400) res.set_header("Location", "/ok");
      if (res.status >= 300) res.set_content("nope\x01 details", "text/plain");
    });
    port = srv.bind_to_any_port("127.0.0.1");
    th = std::thread([this] { srv.listen_after_bind(); });
    while (!srv.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~Receiver() {
    srv.stop();
    th.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
  std::vector<Call> snapshot() {
    std::lock_guard<std::mutex> lock(mu);
    return calls;
  }
  int count(const std::string& path) {
    int n = 0;
    for (const auto& c : snapshot()) n += c.path == path;
    return n;
  }
};

template <typename F>
bool eventually(F pred, double seconds = 10) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

db::Row row(long long id) {
  auto rows = db::query("SELECT * FROM mr_webhooks WHERE id = ?", {id});
  REQUIRE(rows.size() == 1);
  return rows[0];
}

long long integer(const db::Row& r, const char* k) { return std::get<long long>(r.at(k)); }
std::string text(const db::Row& r, const char* k) { return std::get<std::string>(r.at(k)); }
bool is_null(const db::Row& r, const char* k) { return std::holds_alternative<std::nullptr_t>(r.at(k)); }

jobs::WebhookOptions fast(int max_attempts = 3) {
  jobs::WebhookOptions o;
  o.secret = "test-secret";
  o.max_attempts = max_attempts;
  o.backoff_s = 0.02;
  o.timeout_s = 2;
  return o;
}

}  // namespace

TEST_CASE("webhooks: HMAC-SHA256 matches RFC 4231; the signature signs \"<t>.<body>\"", "[webhooks]") {
  // RFC 4231 test cases 1 and 2.
  CHECK(jobs::hmac_sha256_hex(std::string(20, '\x0b'), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(jobs::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Computed independently (Python's hmac module).
  CHECK(jobs::webhook_signature("whsec_test", 1700000000, R"({"event":"job.completed"})") ==
        "t=1700000000,v1=51be9920773f454007b9aaf2ef84578604f287a1ad8b1cf6918458c66aac6bd8");
  CHECK(jobs::webhook_signature("k", 100, "{}") == "t=100,v1=" + jobs::hmac_sha256_hex("k", "100.{}"));
}

TEST_CASE("webhooks: URL validation", "[webhooks]") {
  for (std::string ok : {"https://example.com/hook", "http://127.0.0.1:9/x?y=1", "HTTPS://Example.COM",
                         "http://[::1]:8080/h", "http://[fe80::a:1]/", "http://host?x=1", "http://h.example#frag",
                         "http://localhost:65535/", "http://under_score.local/a%20b"}) {
    INFO(ok);
    CHECK(jobs::webhook_url_valid(ok));
  }
  CHECK(jobs::webhook_url_valid("http://h/" + std::string(2048 - 9, 'a')));

  std::string why;
  for (std::string bad : {"", "example.com/hook", "//example.com/", "ftp://example.com/", "http://", "http:///path",
                          "http://:80/", "http://a b/", "http://a/\tb", "http://a/\x01", "http://a/\x7f",
                          "http://user:pw@host/", "http://host:0/", "http://host:65536/", "http://host:/",
                          "http://host:8x/", "http://[::1/", "http://[zz::1]/", "http://[::1]x/", "http://ho$t/"}) {
    INFO(bad);
    why.clear();
    CHECK_FALSE(jobs::webhook_url_valid(bad, &why));
    CHECK_FALSE(why.empty());
  }
  CHECK_FALSE(jobs::webhook_url_valid("http://h/" + std::string(2048, 'a'), &why));
  CHECK(why == "must be at most 2048 characters");
  CHECK_FALSE(jobs::webhook_url_valid("ftp://x/", &why));
  CHECK(why == "must start with http:// or https://");
  CHECK_FALSE(jobs::webhook_url_valid("http://:1/", &why));
  CHECK(why == "has no host");
}

TEST_CASE("webhooks: delivered once, signed, with the documented headers; notify() wakes the sender",
          "[webhooks]") {
  HookDb d;
  Receiver rx;
  jobs::WebhookSender sender(fast());
  sender.start();
  // Let the sender go idle (its next look is a minute away) so only notify() can explain a prompt delivery.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::string body = R"({"event":"job.completed","job":{"id":"j1"}})";
  long long id = jobs::webhook_enqueue(rx.url("/hook?x=1#frag"), "job.completed", body);
  sender.notify();
  REQUIRE(eventually([&] { return sender.counts()["delivered"] == 1; }));
  sender.stop();

  auto calls = rx.snapshot();
  REQUIRE(calls.size() == 1);
  const Call& c = calls[0];
  CHECK(c.path == "/hook");
  CHECK(c.params.find("x") != c.params.end());
  CHECK(c.body == body);
  CHECK(c.header("Content-Type") == "application/json");
  CHECK(c.header("User-Agent") == std::string("moonreel/") + MOONREEL_VERSION);
  CHECK(c.header("Host") == "127.0.0.1:" + std::to_string(rx.port));
  CHECK(c.headers.count("Host") == 1);
  CHECK(c.headers.count("Content-Type") == 1);
  CHECK(c.header("X-Moonreel-Event") == "job.completed");
  CHECK(c.header("X-Moonreel-Delivery") == std::to_string(id));

  std::string sig = c.header("X-Moonreel-Signature");
  auto comma = sig.find(',');
  REQUIRE(sig.starts_with("t="));
  REQUIRE(comma != std::string::npos);
  std::string t = sig.substr(2, comma - 2);
  CHECK(std::abs(std::stod(t) - unix_now()) < 300);
  CHECK(sig.substr(comma + 1) == "v1=" + jobs::hmac_sha256_hex("test-secret", t + "." + body));

  auto r = row(id);
  CHECK(text(r, "status") == "delivered");
  CHECK(integer(r, "attempts") == 1);
  CHECK(integer(r, "last_status") == 200);
  CHECK(is_null(r, "last_error"));
  CHECK(text(r, "delivered_at").size() == 24);  // 2026-01-01T00:00:00.000Z
  auto counts = sender.counts();
  CHECK(counts["pending"] == 0);
  CHECK(counts["failed"] == 0);
}

TEST_CASE("webhooks: 500, 500, then 200 is delivered on attempt 3 with one delivery id", "[webhooks]") {
  HookDb d;
  Receiver rx([](int n, const std::string&) { return n <= 2 ? 500 : 200; });
  long long id = jobs::webhook_enqueue(rx.url("/flaky"), "job.failed", "{}");
  jobs::WebhookSender sender(fast(5));
  sender.start();
  REQUIRE(eventually([&] { return sender.counts()["delivered"] == 1; }));
  sender.stop();
  auto calls = rx.snapshot();
  REQUIRE(calls.size() == 3);
  for (const auto& c : calls) CHECK(c.header("X-Moonreel-Delivery") == std::to_string(id));
  auto r = row(id);
  CHECK(integer(r, "attempts") == 3);
  CHECK(integer(r, "last_status") == 200);
  CHECK(is_null(r, "last_error"));
}

TEST_CASE("webhooks: unreachable, 4xx and redirects fail after max_attempts; a bad URL fails at once",
          "[webhooks]") {
  HookDb d;
  Receiver rx([](int, const std::string& path) { return path == "/gone" ? 404 : path == "/moved" ? 302 : 200; });
  long long refused = jobs::webhook_enqueue("http://127.0.0.1:1/none", "job.completed", "{}");
  long long gone = jobs::webhook_enqueue(rx.url("/gone"), "job.completed", "{}");
  long long moved = jobs::webhook_enqueue(rx.url("/moved"), "job.completed", "{}");
  long long bad = jobs::webhook_enqueue("not a url", "job.completed", "{}");
  jobs::WebhookSender sender(fast(3));
  sender.start();
  REQUIRE(eventually([&] { return sender.counts()["failed"] == 4; }));
  sender.stop();

  auto r = row(refused);
  CHECK(integer(r, "attempts") == 3);
  CHECK(is_null(r, "last_status"));
  CHECK(text(r, "last_error").starts_with("request failed: "));
  r = row(gone);
  CHECK(integer(r, "attempts") == 3);
  CHECK(integer(r, "last_status") == 404);
  CHECK(text(r, "last_error") == "HTTP 404: nope? details");
  r = row(moved);
  CHECK(integer(r, "last_status") == 302);
  CHECK(rx.count("/moved") == 3);
  CHECK(rx.count("/ok") == 0);  // redirects are not followed
  r = row(bad);
  CHECK(integer(r, "attempts") == 1);
  CHECK(text(r, "last_error").starts_with("invalid URL: "));
  CHECK(sender.counts()["delivered"] == 0);
}

TEST_CASE("webhooks: redeliveries back off exponentially, capped at an hour", "[webhooks]") {
  HookDb d;
  jobs::WebhookOptions opt = fast(100);
  opt.backoff_s = 100;
  long long id = jobs::webhook_enqueue("http://127.0.0.1:1/none", "job.completed", "{}");
  jobs::WebhookSender sender(opt);
  // One failed attempt after `before` earlier ones; the delay it scheduled.
  auto delay_after = [&](long long before) {
    db::exec("UPDATE mr_webhooks SET attempts = ?, next_at = 0 WHERE id = ?", {before, id});
    sender.start();
    REQUIRE(eventually([&] { return integer(row(id), "attempts") == before + 1; }));
    sender.stop();
    return std::get<double>(row(id).at("next_at")) - unix_now();
  };
  double first = delay_after(0), fifth = delay_after(4), late = delay_after(20);
  CHECK(first > 90);
  CHECK(first <= 100);
  CHECK(fifth > 1590);  // 100 * 2^4
  CHECK(fifth <= 1600);
  CHECK(late > 3590);
  CHECK(late <= 3600);
  CHECK(text(row(id), "status") == "pending");
}

TEST_CASE("webhooks: enqueue follows the caller's transaction (outbox)", "[webhooks]") {
  HookDb d;
  CHECK_THROWS_WITH(db::transaction([&] {
                      jobs::webhook_enqueue("http://127.0.0.1:1/a", "job.completed", "{}");
                      throw std::runtime_error("job rolled back");
                    }),
                    "job rolled back");
  CHECK(db::query("SELECT id FROM mr_webhooks").empty());

  long long kept = 0;
  db::transaction([&] {
    kept = jobs::webhook_enqueue("http://127.0.0.1:1/b", "job.completed", "{}");
    try {
      db::transaction([&] {
        jobs::webhook_enqueue("http://127.0.0.1:1/c", "job.failed", "{}");
        throw std::runtime_error("inner");
      });
    } catch (const std::runtime_error&) {
    }
  });
  auto rows = db::query("SELECT * FROM mr_webhooks");
  REQUIRE(rows.size() == 1);
  CHECK(integer(rows[0], "id") == kept);
  CHECK(text(rows[0], "status") == "pending");
  CHECK(integer(rows[0], "attempts") == 0);
  CHECK(text(rows[0], "url") == "http://127.0.0.1:1/b");
}

TEST_CASE("webhooks: rows left by a previous process are delivered by a new sender, oldest first",
          "[webhooks]") {
  HookDb d;
  Receiver rx;
  // What a stopped process left: a fresh row, one mid-retry, one delivered and one failed.
  long long fresh = jobs::webhook_enqueue(rx.url("/a"), "job.completed", R"({"n":1})");
  long long retrying = jobs::webhook_enqueue(rx.url("/b"), "job.failed", R"({"n":2})");
  db::exec("UPDATE mr_webhooks SET attempts = 2, last_error = 'HTTP 503', last_status = 503 WHERE id = ?",
           {retrying});
  long long done = jobs::webhook_enqueue(rx.url("/c"), "job.completed", "{}");
  db::exec("UPDATE mr_webhooks SET status = 'delivered', attempts = 1 WHERE id = ?", {done});
  long long dead = jobs::webhook_enqueue(rx.url("/d"), "job.completed", "{}");
  db::exec("UPDATE mr_webhooks SET status = 'failed', attempts = 8 WHERE id = ?", {dead});
  db::close_thread_connection();

  jobs::WebhookSender sender(fast());
  sender.start();
  REQUIRE(eventually([&] { return sender.counts()["delivered"] == 3; }));
  sender.stop();
  auto calls = rx.snapshot();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].header("X-Moonreel-Delivery") == std::to_string(fresh));
  CHECK(calls[1].header("X-Moonreel-Delivery") == std::to_string(retrying));
  CHECK(calls[1].body == R"({"n":2})");
  CHECK(integer(row(retrying), "attempts") == 3);
  CHECK(text(row(dead), "status") == "failed");
}

TEST_CASE("webhooks: two senders on one file deliver each row once", "[webhooks]") {
  HookDb d;
  Receiver rx([](int, const std::string&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return 204;
  });
  for (int i = 0; i < 20; ++i) jobs::webhook_enqueue(rx.url("/h"), "job.completed", "{}");
  jobs::WebhookSender a(fast()), b(fast());
  a.start();
  b.start();
  REQUIRE(eventually([&] { return a.counts()["delivered"] == 20; }));
  a.stop();
  b.stop();
  std::set<std::string> ids;
  for (const auto& c : rx.snapshot()) ids.insert(c.header("X-Moonreel-Delivery"));
  CHECK(rx.snapshot().size() == 20);
  CHECK(ids.size() == 20);
}

TEST_CASE("webhooks: delivered rows older than 7 days are pruned", "[webhooks]") {
  HookDb d;
  long long old_row = jobs::webhook_enqueue("http://127.0.0.1:1/a", "job.completed", "{}");
  long long recent = jobs::webhook_enqueue("http://127.0.0.1:1/b", "job.completed", "{}");
  long long old_failed = jobs::webhook_enqueue("http://127.0.0.1:1/c", "job.completed", "{}");
  db::exec("UPDATE mr_webhooks SET status = 'delivered', delivered_at = '2000-01-01T00:00:00.000Z' WHERE id = ?",
           {old_row});
  db::exec("UPDATE mr_webhooks SET status = 'delivered', delivered_at = ? WHERE id = ?",
           {std::string("9999-01-01T00:00:00.000Z"), recent});
  db::exec("UPDATE mr_webhooks SET status = 'failed', delivered_at = '2000-01-01T00:00:00.000Z' WHERE id = ?",
           {old_failed});
  jobs::WebhookSender sender(fast());
  sender.start();
  REQUIRE(eventually([&] { return db::query("SELECT id FROM mr_webhooks").size() == 2; }));
  sender.stop();
  CHECK(db::query("SELECT id FROM mr_webhooks WHERE id = ?", {old_row}).empty());
  CHECK(sender.counts()["failed"] == 1);
}

TEST_CASE("webhooks: the secret comes from config or a private file made once", "[webhooks]") {
  std::random_device rd;
  fs::path dir = fs::temp_directory_path() / ("moonreel-webhooks-secret-" + std::to_string(rd()));
  config::Config cfg;
  cfg.set("data", (dir / "data").string(), "test");
  std::string s = jobs::webhook_secret_from_config(cfg);
  fs::path file = dir / "data" / "webhook.secret";
  CHECK(s.size() == 64);
  CHECK(s.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(fs::status(file).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(jobs::webhook_secret_from_config(cfg) == s);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "data")) ++entries;
  CHECK(entries == 1);  // no temp files left behind

  std::ofstream(file, std::ios::trunc) << "\n";  // an emptied file gets a fresh secret
  std::string fresh = jobs::webhook_secret_from_config(cfg);
  CHECK(fresh.size() == 64);
  CHECK(fresh != s);

  cfg.set("webhooks.secret", "from-config", "test");
  CHECK(jobs::webhook_secret_from_config(cfg) == "from-config");
  CHECK_THROWS_AS(jobs::WebhookSender(jobs::WebhookOptions{}), std::invalid_argument);
  std::error_code ec;
  fs::remove_all(dir, ec);
}
