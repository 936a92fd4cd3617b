// Stream admission: capacity, one stream per session, tickets that give back what they took.
#define BOOST_TEST_MODULE stream_registry
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "resume_chat/stream_registry.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(capacity_and_one_stream_per_session) {
  StreamRegistry registry(2);
  auto a = registry.admit("a");
  BOOST_REQUIRE(a.ticket);
  auto again = registry.admit("a");
  BOOST_TEST(!again.ticket);
  BOOST_TEST((again.refusal == StreamRegistry::Refusal::kSessionStreaming));
  auto b = registry.admit("b");
  BOOST_REQUIRE(b.ticket);
  auto c = registry.admit("c");
  BOOST_TEST(!c.ticket);
  BOOST_TEST((c.refusal == StreamRegistry::Refusal::kBusy));
  BOOST_TEST(registry.in_flight() == 2);
  b.ticket.reset();
  BOOST_TEST(registry.in_flight() == 1);
  BOOST_TEST(bool(registry.admit("c").ticket));  // admitted, and released at once
  BOOST_TEST(registry.in_flight() == 1);
}

BOOST_AUTO_TEST_CASE(the_session_is_released_before_the_slot) {
  StreamRegistry registry(1);
  auto first = registry.admit("s");
  first.ticket->release_session();  // the reply is stored: the next message may start...
  auto next = registry.admit("s");
  BOOST_TEST(!next.ticket);  // ...once a slot is free
  BOOST_TEST((next.refusal == StreamRegistry::Refusal::kBusy));
  StreamRegistry::Ticket moved = std::move(*first.ticket);
  first.ticket.reset();  // a moved-from ticket holds nothing
  BOOST_TEST(registry.in_flight() == 1);
  moved.release();
  BOOST_TEST(registry.in_flight() == 0);
  BOOST_TEST(bool(registry.admit("s").ticket));
}

BOOST_AUTO_TEST_CASE(concurrent_admissions_never_exceed_capacity) {
  StreamRegistry registry(8);
  std::vector<std::thread> threads;
  std::atomic<int> peak{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        auto admission = registry.admit(std::to_string(t) + "-" + std::to_string(i % 3));
        if (!admission.ticket) continue;
        int now = registry.in_flight();
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(peak.load() <= 8);
  BOOST_TEST(registry.in_flight() == 0);
}
