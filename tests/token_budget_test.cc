// The daily token budget's parts that need no database: what counts, the wait and the
// refusal text. Its SQL (the reservation in start_chat, the settling in the reply writer)
// runs for real in tests/ops/ops-test and tests/integration_lifecycle_test.cc.
#define BOOST_TEST_MODULE token_budget
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/token_budget.h"

using namespace resume_chat;

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

BOOST_AUTO_TEST_CASE(a_database_that_cannot_tell_gives_no_figure) {
  DatabaseConfig db;
  db.host = "127.0.0.1";
  db.port = "1";
  db.name = db.user = "none";
  db.acquire_timeout_ms = 1;
  db.connect_timeout_s = 2;
  DbPool pool(db);
  TokenBudget budget(pool, 1000);
  BOOST_TEST(!budget.today());
}
