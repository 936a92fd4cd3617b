// The reply writer without a database: the statement's JSON, and what it does while the
// database does not answer (holds, then refuses the oldest, never loses a callback). Storing
// for real, the group commit and the outage that ends: tests/integration*_test.cc and
// tests/lifecycle.
#define BOOST_TEST_MODULE reply_writer
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "resume_chat/reply_writer.h"

using namespace resume_chat;
using Clock = std::chrono::steady_clock;

namespace {

DatabaseConfig nowhere() {
  DatabaseConfig db;
  db.host = "127.0.0.1";
  db.port = "1";  // nothing listens: refused at once
  db.name = db.user = "none";
  db.acquire_timeout_ms = 50;
  db.connect_timeout_s = 2;
  return db;
}

ReplyRecord record(int i, const std::string& contents = "text") {
  ReplyRecord r;
  r.reply_uuid = "00000000-0000-4000-8000-00000000000" + std::to_string(i % 10);
  r.session_uuid = "11111111-1111-4111-8111-111111111111";
  r.contents = contents;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_json_carries_each_reply_in_order_escaped_without_nul) {
  ReplyRecord a = record(1, std::string("say \"hi\"\n\\ and \0 NUL", 21));
  a.outcome = ReplyOutcome::kStopped;
  a.usage = {10, 20, 30, 40};
  a.reserved = 2500;
  a.reserved_day = "2026-12-05";
  ReplyRecord b = record(2, "é");
  const std::string json = replies_json({&a, &b});
  BOOST_TEST(json.find("{\"seq\":1,") == 1u);
  BOOST_TEST(json.find("\"contents\":\"say \\\"hi\\\"\\n\\\\ and  NUL\"") != std::string::npos, json);
  BOOST_TEST(json.find("\"outcome\":\"stopped\",\"day\":\"2026-12-05\",\"reserved\":2500,"
                       "\"input\":10,\"cache_creation\":40,\"cache_read\":30,\"output\":20") !=
             std::string::npos, json);
  BOOST_TEST(json.find("{\"seq\":2,") != std::string::npos);
  BOOST_TEST(json.find("\"day\":null") != std::string::npos);  // nothing reserved: today
  BOOST_TEST(replies_json({}) == "[]");
}

// The database is away: every reply is held, then refused once held longer than give_up,
// the oldest first, each callback exactly once.
BOOST_AUTO_TEST_CASE(replies_are_held_while_the_database_is_away_then_refused, *boost::unit_test::timeout(60)) {
  DbPool pool(nowhere());
  WriterLimits limits;
  limits.give_up = std::chrono::milliseconds(600);
  limits.first_backoff = std::chrono::milliseconds(50);
  ReplyWriter writer(pool, limits);
  std::atomic<int> refused{0}, stored{0};
  std::promise<void> all;
  const auto started = Clock::now();
  for (int i = 0; i < 5; ++i) {
    writer.submit(record(i), [&](const Status& s) {
      (s.ok() ? stored : refused)++;
      if (refused + stored == 5) all.set_value();
    });
  }
  BOOST_TEST(writer.stats().held > 0u);
  all.get_future().wait();
  const double waited = std::chrono::duration<double>(Clock::now() - started).count();
  BOOST_TEST_MESSAGE("refused after " << waited << " s (give_up 0.6 s)");
  BOOST_TEST(refused.load() == 5);
  BOOST_TEST(stored.load() == 0);
  BOOST_TEST(writer.stats().refused == 5);
  BOOST_TEST(writer.stats().held == 0u);
}

// Past the bound on replies held, the oldest is refused at once to make room.
BOOST_AUTO_TEST_CASE(past_the_bound_the_oldest_is_refused_first, *boost::unit_test::timeout(60)) {
  DbPool pool(nowhere());
  WriterLimits limits;
  limits.max_held = 3;
  ReplyWriter writer(pool, limits);
  std::mutex mu;
  std::vector<int> refused;
  for (int i = 0; i < 6; ++i) {
    writer.submit(record(i), [&, i](const Status& s) {
      std::lock_guard<std::mutex> lock(mu);
      if (!s.ok()) refused.push_back(i);
    });
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    BOOST_REQUIRE(refused.size() >= 2u);  // at most 3 held (+1 being tried)
    BOOST_TEST(refused[0] == 0);
    BOOST_TEST(refused[1] == 1);
  }
  writer.stop(Clock::now());
  std::lock_guard<std::mutex> lock(mu);
  BOOST_TEST(refused.size() == 6u);  // stopped with no time left: the rest refused, once each
}

// Stopping with a deadline in the future keeps trying until then, then refuses what is left.
BOOST_AUTO_TEST_CASE(stop_keeps_trying_until_its_deadline, *boost::unit_test::timeout(60)) {
  DbPool pool(nowhere());
  ReplyWriter writer(pool);
  std::atomic<int> refused{0};
  writer.submit(record(1), [&](const Status& s) { refused += !s.ok(); });
  const auto started = Clock::now();
  writer.stop(started + std::chrono::milliseconds(700));
  const double took = std::chrono::duration<double>(Clock::now() - started).count();
  BOOST_TEST_MESSAGE("stopped after " << took << " s (deadline 0.7 s)");
  BOOST_TEST(refused.load() == 1);
}
