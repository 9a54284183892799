// unit/jobs_test.cpp — the job store's transitions, named semaphores, webhook signing and delivery.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "db/db.hpp"
#include "jobs/job_store.hpp"
#include "jobs/semaphore.hpp"
#include "jobs/webhooks.hpp"

namespace fs = std::filesystem;
using namespace mr;
using nlohmann::json;

namespace {

struct JobsDb {
  fs::path dir;
  JobsDb() {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("moonreel-jobs-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir);
    db::configure((dir / "jobs.db").string(), 5000);
    jobs::init_schema();
    jobs::webhooks_init_schema();
  }
  ~JobsDb() {
    db::close_thread_connection();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

json submit(const std::string& workflow, long long priority = 0, const std::string& key = "") {
  jobs::NewJob j;
  j.workflow = workflow;
  j.priority = priority;
  j.idempotency_key = key;
  bool created = false;
  return jobs::submit(j, &created);
}

template <typename F>
bool eventually(F pred, double seconds = 10) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace

TEST_CASE("jobs: claim takes the highest priority first, FIFO within one", "[jobs]") {
  JobsDb d;
  auto a = submit("w", 0), b = submit("w", 5), c = submit("w", 0);
  double due = 0;
  REQUIRE(jobs::claim(1e12, &due)->job["id"] == b["id"]);
  REQUIRE(jobs::claim(1e12, &due)->job["id"] == a["id"]);
  auto last = jobs::claim(1e12, &due);
  REQUIRE(last->job["id"] == c["id"]);
  CHECK(last->job["status"] == "processing");
  CHECK(last->job["attempts"] == 1);
  CHECK_FALSE(jobs::claim(1e12, &due).has_value());
}

TEST_CASE("jobs: a completion lands once, only for the attempt that claimed", "[jobs]") {
  JobsDb d;
  auto j = submit("w");
  double due = 0;
  auto c = jobs::claim(1e12, &due);
  std::string id = j["id"];
  CHECK_THROWS_AS(jobs::complete(id, 2, json::object()), jobs::JobError);
  jobs::complete(id, 1, json{{"ok", true}});
  CHECK(jobs::get(id)->at("status") == "completed");
  CHECK_THROWS_AS(jobs::complete(id, 1, json::object()), jobs::JobError);
}

TEST_CASE("jobs: retryable failures go back to pending until attempts run out", "[jobs]") {
  JobsDb d;
  jobs::NewJob nj;
  nj.workflow = "w";
  nj.max_attempts = 2;
  bool created;
  std::string id = jobs::submit(nj, &created)["id"];
  double due = 0;
  jobs::claim(1e12, &due);
  CHECK(jobs::fail(id, 1, "FLAKY", "try again", true, 0) == "pending");
  jobs::claim(1e12, &due);
  CHECK(jobs::fail(id, 2, "FLAKY", "try again", true, 0) == "failed");
  auto job = *jobs::get(id);
  CHECK(job["error"]["code"] == "FLAKY");
  CHECK(job["attempts"] == 2);
}

TEST_CASE("jobs: a retry waits for its backoff", "[jobs]") {
  JobsDb d;
  std::string id = submit("w")["id"];
  double due = 0;
  jobs::claim(1e12, &due);
  jobs::fail(id, 1, "FLAKY", "later", true, 3600);
  CHECK_FALSE(jobs::claim(0, &due).has_value());
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK_FALSE(jobs::claim(now, &due).has_value());
  CHECK(due > now + 3000);
}

TEST_CASE("jobs: recover() requeues running jobs, honours cancels, fails exhausted ones", "[jobs]") {
  JobsDb d;
  jobs::NewJob once;
  once.workflow = "w";
  once.max_attempts = 1;
  bool created;
  std::string a = submit("w")["id"], b = submit("w")["id"], c = jobs::submit(once, &created)["id"];
  double due = 0;
  jobs::claim(1e12, &due), jobs::claim(1e12, &due), jobs::claim(1e12, &due);
  jobs::cancel(b);
  CHECK(jobs::recover() == 3);
  CHECK(jobs::get(a)->at("status") == "pending");
  CHECK(jobs::get(a)->at("attempts") == 1);
  CHECK(jobs::get(b)->at("status") == "cancelled");
  CHECK(jobs::get(c)->at("status") == "failed");
  CHECK(jobs::get(c)->at("error")["code"] == "WORKER_LOST");
}

TEST_CASE("jobs: idempotency keys and client ids return the same job", "[jobs]") {
  JobsDb d;
  auto a = submit("w", 0, "key-1");
  jobs::NewJob again;
  again.workflow = "w";
  again.idempotency_key = "key-1";
  bool created = true;
  CHECK(jobs::submit(again, &created)["id"] == a["id"]);
  CHECK_FALSE(created);
  again.workflow = "other";
  CHECK_THROWS_AS(jobs::submit(again, &created), jobs::JobError);
  CHECK(jobs::count_status("pending") == 1);
}

TEST_CASE("jobs: every change appends an event, in order", "[jobs]") {
  JobsDb d;
  std::string id = submit("w")["id"];
  double due = 0;
  jobs::claim(1e12, &due);
  jobs::progress(id, 50, "half", 1);
  jobs::complete(id, 1, json::object());
  auto events = jobs::events_after(0, id, "", 100);
  REQUIRE(events.size() == 4);
  CHECK(events[0].data["type"] == "job.created");
  CHECK(events[1].data["type"] == "job.started");
  CHECK(events[2].data["type"] == "job.progress");
  CHECK(events[3].data["type"] == "job.completed");
  CHECK(events[3].id > events[2].id);
  CHECK(jobs::events_after(events[1].id, id, "", 100).size() == 2);
}

TEST_CASE("jobs: pending priority changes; running or finished jobs refuse", "[jobs]") {
  JobsDb d;
  std::string a = submit("w")["id"], b = submit("w")["id"];
  CHECK(jobs::position(b) == 2);
  jobs::set_priority(b, 10);
  CHECK(jobs::position(b) == 1);
  double due = 0;
  jobs::claim(1e12, &due);
  CHECK_THROWS_AS(jobs::set_priority(b, 1), jobs::JobError);
  CHECK(jobs::cancel(a) == "cancelled");
  CHECK_THROWS_AS(jobs::cancel(a), jobs::JobError);
  CHECK(jobs::retry(a)["status"] == "pending");
}

TEST_CASE("semaphore: at most `limit` holders; a stopped waiter leaves the line", "[jobs]") {
  std::atomic<int> inside{0}, peak{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 6; ++i)
    ts.emplace_back([&] {
      REQUIRE(jobs::semaphore_acquire("test-gpu", 2, nullptr));
      int now = ++inside;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      --inside;
      jobs::semaphore_release("test-gpu");
    });
  for (auto& t : ts) t.join();
  CHECK(peak.load() <= 2);
  CHECK(peak.load() >= 1);
  REQUIRE(jobs::semaphore_acquire("test-one", 1, nullptr));
  CHECK_FALSE(jobs::semaphore_acquire("test-one", 1, [] { return true; }));
  jobs::semaphore_release("test-one");
  CHECK(jobs::semaphore_states()["test-one"].held == 0);
}

TEST_CASE("webhooks: HMAC-SHA256 matches RFC 4231 test case 2; signatures cover time and body", "[jobs]") {
  CHECK(jobs::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(jobs::webhook_signature("k", 100, "{}") == "t=100,v1=" + jobs::hmac_sha256_hex("k", "100.{}"));
  CHECK(jobs::webhook_url_valid("https://example.com/hook"));
  CHECK(jobs::webhook_url_valid("http://127.0.0.1:9/x?y=1"));
  CHECK_FALSE(jobs::webhook_url_valid("ftp://example.com/"));
  CHECK_FALSE(jobs::webhook_url_valid("http://"));
  CHECK_FALSE(jobs::webhook_url_valid("http://a b/"));
}

TEST_CASE("webhooks: delivered signed; retried after failures; given up after max_attempts", "[jobs]") {
  JobsDb d;
  httplib::Server srv;
  std::atomic<int> calls{0};
  std::string seen_sig, seen_body, seen_event;
  std::mutex mu;
  srv.Post("/flaky", [&](const httplib::Request& req, httplib::Response& res) {
    int n = ++calls;
    std::lock_guard<std::mutex> lock(mu);
    seen_sig = req.get_header_value("X-Moonreel-Signature");
    seen_body = req.body;
    seen_event = req.get_header_value("X-Moonreel-Event");
    res.status = n <= 2 ? 500 : 204;
  });
  int port = srv.bind_to_any_port("127.0.0.1");
  std::thread t([&] { srv.listen_after_bind(); });
  while (!srv.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));

  jobs::WebhookOptions opt;
  opt.secret = "s3cret";
  opt.backoff_s = 0.02;
  opt.max_attempts = 3;
  opt.timeout_s = 2;
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  jobs::webhook_enqueue(base + "/flaky", "job.completed", R"({"event":"job.completed"})");
  // An unreachable receiver (nothing listens on the port once it is closed).
  jobs::webhook_enqueue("http://127.0.0.1:1/none", "job.failed", "{}");
  // Rolled back with its transaction: never sent.
  CHECK_THROWS(db::transaction([&] {
    jobs::webhook_enqueue(base + "/flaky", "job.cancelled", "{}");
    throw std::runtime_error("rollback");
  }));

  jobs::WebhookSender sender(opt);
  sender.start();
  REQUIRE(eventually([&] {
    auto c = sender.counts();
    return c["delivered"] == 1 && c["failed"] == 1;
  }));
  sender.stop();
  CHECK(calls.load() == 3);
  std::lock_guard<std::mutex> lock(mu);
  CHECK(seen_event == "job.completed");
  auto comma = seen_sig.find(',');
  REQUIRE(comma != std::string::npos);
  std::string ts = seen_sig.substr(2, comma - 2);
  CHECK(seen_sig.substr(comma + 1) == "v1=" + jobs::hmac_sha256_hex("s3cret", ts + "." + seen_body));
  srv.stop();
  t.join();
}
