// DocumentCache: time-to-live, bounds, and off when the TTL is 0.
#define BOOST_TEST_MODULE document_cache
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <thread>
#include <vector>

#include "resume_chat/document_cache.h"

using namespace resume_chat;
using std::chrono::milliseconds;
using Clock = DocumentCache::Clock;

namespace {
Document doc(const std::string& name, const std::string& resume = "r") { return {name, resume, "jd"}; }
}  // namespace

BOOST_AUTO_TEST_CASE(a_stored_document_is_found_until_its_ttl_is_over) {
  DocumentCache cache(milliseconds(1000));
  const auto t0 = Clock::now();
  cache.store(doc("demo", "resume v1"), t0);
  auto hit = cache.find("demo", t0 + milliseconds(999));
  BOOST_REQUIRE(hit);
  BOOST_TEST(hit->resume == "resume v1");
  BOOST_TEST(hit->jd == "jd");
  BOOST_TEST(!cache.find("demo", t0 + milliseconds(1000)));
  BOOST_TEST(cache.size() == 0u);  // an expired entry is dropped when seen
}

BOOST_AUTO_TEST_CASE(names_are_exact) {
  DocumentCache cache(milliseconds(1000));
  const auto t0 = Clock::now();
  cache.store(doc("demo"), t0);
  BOOST_TEST(!cache.find("Demo", t0));
  BOOST_TEST(!cache.find("demo ", t0));
  BOOST_TEST(!cache.find("", t0));
}

BOOST_AUTO_TEST_CASE(storing_again_replaces_and_restarts_the_ttl) {
  DocumentCache cache(milliseconds(1000));
  const auto t0 = Clock::now();
  cache.store(doc("demo", "v1"), t0);
  cache.store(doc("demo", "v2"), t0 + milliseconds(800));
  auto hit = cache.find("demo", t0 + milliseconds(1500));
  BOOST_REQUIRE(hit);
  BOOST_TEST(hit->resume == "v2");
}

BOOST_AUTO_TEST_CASE(a_zero_ttl_keeps_nothing) {
  DocumentCache cache(milliseconds(0));
  BOOST_TEST(!cache.enabled());
  cache.store(doc("demo"));
  BOOST_TEST(!cache.find("demo"));
  BOOST_TEST(cache.size() == 0u);
}

BOOST_AUTO_TEST_CASE(the_number_of_entries_is_bounded_expired_and_oldest_go_first) {
  DocumentCache cache(milliseconds(1000), /*max_entries=*/3);
  const auto t0 = Clock::now();
  cache.store(doc("a"), t0);
  cache.store(doc("b"), t0 + milliseconds(100));
  cache.store(doc("c"), t0 + milliseconds(200));
  cache.store(doc("d"), t0 + milliseconds(300));  // full: the oldest ("a") goes
  BOOST_TEST(cache.size() == 3u);
  BOOST_TEST(!cache.find("a", t0 + milliseconds(300)));
  BOOST_TEST(cache.find("b", t0 + milliseconds(300)));
  // At 1150 ms "b" has expired: it makes room, "c" and "d" stay.
  cache.store(doc("e"), t0 + milliseconds(1150));
  BOOST_TEST(cache.find("c", t0 + milliseconds(1150)));
  BOOST_TEST(cache.find("d", t0 + milliseconds(1150)));
  BOOST_TEST(cache.find("e", t0 + milliseconds(1150)));
}

BOOST_AUTO_TEST_CASE(a_document_larger_than_the_limit_is_not_kept) {
  DocumentCache cache(milliseconds(1000), 8, /*max_document_bytes=*/100);
  cache.store(doc("big", std::string(200, 'x')));
  cache.store(doc("small", std::string(50, 'x')));
  BOOST_TEST(!cache.find("big"));
  BOOST_TEST(cache.find("small"));
}

BOOST_AUTO_TEST_CASE(a_found_document_outlives_its_eviction) {
  DocumentCache cache(milliseconds(1000), 1);
  cache.store(doc("a", "kept by the reader"));
  auto held = cache.find("a");
  cache.store(doc("b"));  // evicts "a" while a page still renders it
  BOOST_REQUIRE(held);
  BOOST_TEST(held->resume == "kept by the reader");
}

BOOST_AUTO_TEST_CASE(concurrent_readers_and_writers) {
  DocumentCache cache(milliseconds(1000), 16);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string name = "doc" + std::to_string((i + t) % 32);
        cache.store(doc(name, name));
        if (auto hit = cache.find(name)) BOOST_CHECK(hit->resume == name);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(cache.size() <= 16u);
}
