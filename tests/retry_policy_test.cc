// The SDKs' retry rules as a table: outcome × retries done × headers → retry or not, and
// the delays: headers first, then backoff.
#define BOOST_TEST_MODULE retry_policy
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/retry_policy.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(which_outcomes_are_retried) {
  struct Row {
    long status;
    bool cancelled;
    int retries_done;
    RetryHints hints;
    bool retry;
  };
  const RetryHints none;
  const Row rows[] = {
      {0, false, 0, none, true},                     // no response: connect, DNS, TLS
      {408, false, 0, none, true},  {409, false, 0, none, true},  {429, false, 1, none, true},
      {500, false, 0, none, true},  {502, false, 0, none, true},  {529, false, 1, none, true},
      {400, false, 0, none, false}, {401, false, 0, none, false}, {403, false, 0, none, false},
      {404, false, 0, none, false}, {413, false, 0, none, false}, {422, false, 0, none, false},
      {200, false, 0, none, false},                  // a started response: never
      {200, false, 0, {"true", "", ""}, false},      // not even when the header says so
      {529, false, 2, none, false},                  // max_retries (2) reached
      {0, true, 0, none, false},                     // cancelled on our side
      {529, false, 0, {"false", "", ""}, false},     // x-should-retry decides first
      {400, false, 0, {"true", "", ""}, true},
      {400, false, 0, {"TRUE", "", ""}, true},
  };
  for (const Row& row : rows) {
    RetryStep step = next_retry({row.status, row.cancelled}, row.retries_done, 2, row.hints, 0);
    BOOST_TEST(step.retry == row.retry, "status " << row.status << " retries " << row.retries_done
                                                   << " should-retry '" << row.hints.should_retry << "'");
  }
}

BOOST_AUTO_TEST_CASE(retry_delays_honour_headers_then_back_off) {
  BOOST_TEST(retry_delay_ms(0, RetryHints{"", "250", "9"}, 0) == 250);
  BOOST_TEST(retry_delay_ms(0, RetryHints{"", "", "2"}, 0) == 2000);
  BOOST_TEST(retry_delay_ms(0, RetryHints{"", "", "1.5"}, 0) == 1500);
  // Out of (0, 60] → backoff: 0.5 s doubling, capped at 8 s, minus up to 25 % jitter.
  BOOST_TEST(retry_delay_ms(0, RetryHints{"", "", "0"}, 0) == 500);
  BOOST_TEST(retry_delay_ms(1, RetryHints{"", "", "120"}, 0) == 1000);
  BOOST_TEST(retry_delay_ms(2, RetryHints{}, 1.0) == 1500);
  BOOST_TEST(retry_delay_ms(10, RetryHints{}, 0) == 8000);
  BOOST_TEST(next_retry({529, false}, 0, 2, RetryHints{"", "200", ""}, 0).delay_ms == 200);
}
