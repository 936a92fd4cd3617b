// The daily token budget's parts that need no database: what counts, the wait and the
// refusal text, and that no budget means no refusal and no query. Its SQL runs for real in
// tests/ops/ops-test (two workers sharing one budget, a restart).
#define BOOST_TEST_MODULE token_budget
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/token_budget.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(every_kind_of_token_counts) {
  TokenCounts counts{100, 20, 3000, 400};
  BOOST_TEST(counts.total() == 3520);
}

BOOST_AUTO_TEST_CASE(waits_are_described_in_hours_and_minutes) {
  BOOST_TEST(describe_wait(0) == "under a minute");
  BOOST_TEST(describe_wait(59) == "under a minute");
  BOOST_TEST(describe_wait(60) == "1 min");
  BOOST_TEST(describe_wait(61) == "2 min");
  BOOST_TEST(describe_wait(3600) == "1 h");
  BOOST_TEST(describe_wait(3 * 3600 + 12 * 60) == "3 h 12 min");
  BOOST_TEST(describe_wait(86400) == "24 h");
}

BOOST_AUTO_TEST_CASE(the_refusal_says_the_limit_is_reached_and_when_it_resets) {
  BOOST_TEST(budget_exhausted_message(1500000, 3 * 3600 + 12 * 60) ==
             "Error: The daily limit of 1,500,000 tokens for this chat is reached. It resets at "
             "00:00 UTC, in 3 h 12 min.");
  BOOST_TEST(budget_exhausted_message(999, 30).find("limit of 999 tokens") != std::string::npos);
}

// A pool that cannot connect: with no budget nothing is asked of it.
BOOST_AUTO_TEST_CASE(no_budget_never_refuses_and_never_queries) {
  DatabaseConfig db;
  db.host = "127.0.0.1";
  db.port = "1";
  db.name = db.user = "none";
  db.acquire_timeout_ms = 1;
  DbPool pool(db);
  TokenBudget budget(pool, 0);
  BOOST_TEST(!budget.refusal());
  BOOST_TEST(budget.record({}) == "");  // nothing used: nothing to write
  BOOST_TEST(pool.stats().open == 0);
}

BOOST_AUTO_TEST_CASE(a_budget_the_database_cannot_check_refuses_with_503) {
  DatabaseConfig db;
  db.host = "127.0.0.1";
  db.port = "1";
  db.name = db.user = "none";
  db.acquire_timeout_ms = 1;
  db.connect_timeout_s = 2;
  DbPool pool(db);
  TokenBudget budget(pool, 1000);
  auto refusal = budget.refusal();
  BOOST_REQUIRE(refusal);
  BOOST_TEST(refusal->status == 503);
  BOOST_TEST(refusal->message == "Error: Unable to connect to database. Please check configuration.");
  BOOST_TEST(!budget.today());
  BOOST_TEST(budget.record({1, 1, 0, 0}) != "");
}
