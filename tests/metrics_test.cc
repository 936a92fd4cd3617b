// Metrics: Prometheus text format, cumulative histograms, labelled counters.
#define BOOST_TEST_MODULE metrics
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <thread>
#include <vector>

#include "resume_chat/metrics.h"

using namespace resume_chat;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Every non-comment line is `name{labels} value` or `name value` with a number value.
bool well_formed(const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    size_t space = line.rfind(' ');
    if (space == std::string::npos || space == 0) return false;
    std::string value = line.substr(space + 1);
    if (value != "+Inf" && value.find_first_not_of("0123456789.e+-") != std::string::npos) return false;
    if (line.find('{') != std::string::npos && line[space - 1] != '}') return false;
  }
  return true;
}

// Each sample line is in the text, whole.
void expect_samples(const std::string& text, std::initializer_list<const char*> samples) {
  for (const char* sample : samples) {
    BOOST_TEST(contains(text, "\n" + std::string(sample) + "\n"), sample);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_fresh_registry_renders_every_family_with_zeros) {
  Metrics metrics;
  MetricsGauges gauges;
  gauges.stream_capacity = 64;
  gauges.pool_max = 3;
  gauges.pool.in_use = 1;
  gauges.pool.idle = 2;
  gauges.pool.waits = 7;
  std::string text = metrics.render(gauges);
  BOOST_TEST(well_formed(text), text);
  for (const char* family :
       {"resume_chat_requests_total counter", "resume_chat_streams_in_flight gauge",
        "resume_chat_time_to_first_token_seconds histogram",
        "resume_chat_stream_duration_seconds histogram", "resume_chat_tokens_total counter",
        "resume_chat_upstream_errors_total counter", "resume_chat_upstream_retries_total counter",
        "resume_chat_db_pool_connections gauge", "resume_chat_db_pool_waits_total counter"}) {
    BOOST_TEST(contains(text, std::string("# TYPE ") + family), family);
  }
  expect_samples(text, {
      "resume_chat_stream_capacity 64",
      "resume_chat_db_pool_connections{state=\"in_use\"} 1",
      "resume_chat_db_pool_connections{state=\"idle\"} 2",
      "resume_chat_db_pool_waits_total 7",
      "resume_chat_time_to_first_token_seconds_count 0"});
}

BOOST_AUTO_TEST_CASE(requests_are_counted_by_route_and_status) {
  Metrics metrics;
  metrics.count_request("/", 200);
  metrics.count_request("/", 200);
  metrics.count_request("/", 404);
  metrics.count_request("/chat", 503);
  std::string text = metrics.render({});
  expect_samples(text, {
      "resume_chat_requests_total{route=\"/\",status=\"200\"} 2",
      "resume_chat_requests_total{route=\"/\",status=\"404\"} 1",
      "resume_chat_requests_total{route=\"/chat\",status=\"503\"} 1"});
}

BOOST_AUTO_TEST_CASE(unknown_paths_share_one_label) {
  BOOST_TEST(route_label("/") == "/");
  BOOST_TEST(route_label("/chat") == "/chat");
  BOOST_TEST(route_label("/metrics") == "/metrics");
  BOOST_TEST(route_label("/wp-admin.php") == "other");
  BOOST_TEST(route_label("/chat/") == "other");
}

BOOST_AUTO_TEST_CASE(histograms_are_cumulative_with_sum_and_count) {
  Metrics metrics;
  StreamOutcome fast{"complete", "", 80'000, 400'000, 10, 5, 0, 0, 0};
  StreamOutcome slow{"complete", "", 3'000'000, 50'000'000, 10, 5, 0, 0, 0};
  metrics.count_stream(fast);
  metrics.count_stream(slow);
  std::string text = metrics.render({});
  BOOST_TEST(well_formed(text), text);
  expect_samples(text, {
      "resume_chat_time_to_first_token_seconds_bucket{le=\"0.1\"} 1",
      "resume_chat_time_to_first_token_seconds_bucket{le=\"2\"} 1",
      "resume_chat_time_to_first_token_seconds_bucket{le=\"4\"} 2",
      "resume_chat_time_to_first_token_seconds_bucket{le=\"+Inf\"} 2",
      "resume_chat_time_to_first_token_seconds_sum 3.08",
      "resume_chat_time_to_first_token_seconds_count 2",
      "resume_chat_stream_duration_seconds_bucket{le=\"0.5\"} 1",
      "resume_chat_stream_duration_seconds_bucket{le=\"40\"} 1",
      "resume_chat_stream_duration_seconds_bucket{le=\"60\"} 2"});
}

BOOST_AUTO_TEST_CASE(a_stream_without_a_first_token_is_not_a_ttft_sample) {
  Metrics metrics;
  metrics.count_stream({"unreachable", "unreachable", -1, 2'000'000, 0, 0, 0, 0, 2});
  std::string text = metrics.render({});
  expect_samples(text, {
      "resume_chat_time_to_first_token_seconds_count 0",
      "resume_chat_stream_duration_seconds_count 1",
      "resume_chat_streams_total{outcome=\"unreachable\"} 1",
      "resume_chat_upstream_errors_total{type=\"unreachable\"} 1",
      "resume_chat_upstream_retries_total 2"});
}

BOOST_AUTO_TEST_CASE(tokens_add_up_by_kind_including_cache) {
  Metrics metrics;
  metrics.count_stream({"complete", "", 1000, 2000, 12, 30, 4100, 0, 0});
  metrics.count_stream({"api_error", "overloaded_error", -1, 2000, 8, 0, 0, 4100, 1});
  std::string text = metrics.render({});
  expect_samples(text, {
      "resume_chat_tokens_total{kind=\"input\"} 20",
      "resume_chat_tokens_total{kind=\"output\"} 30",
      "resume_chat_tokens_total{kind=\"cache_read\"} 4100",
      "resume_chat_tokens_total{kind=\"cache_creation\"} 4100",
      "resume_chat_upstream_errors_total{type=\"overloaded_error\"} 1",
      "resume_chat_streams_total{outcome=\"complete\"} 1"});
}

BOOST_AUTO_TEST_CASE(page_document_reads_are_counted_by_source) {
  Metrics metrics;
  metrics.count_document_lookup(true);
  metrics.count_document_lookup(true);
  metrics.count_document_lookup(false);
  std::string text = metrics.render({});
  expect_samples(text, {
      "resume_chat_page_document_reads_total{source=\"cache\"} 2",
      "resume_chat_page_document_reads_total{source=\"database\"} 1"});
}

BOOST_AUTO_TEST_CASE(concurrent_updates_are_all_counted) {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < 1000; ++i) {
        metrics.count_request("/", 200);
        metrics.count_stream({"complete", "", 1000, 2000, 1, 1, 0, 0, 0});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::string text = metrics.render({});
  expect_samples(text, {
      "resume_chat_requests_total{route=\"/\",status=\"200\"} 4000",
      "resume_chat_stream_duration_seconds_count 4000",
      "resume_chat_tokens_total{kind=\"output\"} 4000"});
}

BOOST_AUTO_TEST_CASE(the_daily_budget_and_todays_usage) {
  Metrics metrics;
  MetricsGauges gauges;
  std::string unknown = metrics.render(gauges);
  expect_samples(unknown, {"resume_chat_daily_token_budget 0"});
  BOOST_TEST(!contains(unknown, "resume_chat_daily_tokens_used"));  // the database could not tell
  gauges.daily_token_budget = 500000;
  gauges.daily_tokens_used = 1234;
  std::string text = metrics.render(gauges);
  BOOST_TEST(well_formed(text), text);
  expect_samples(text, {"resume_chat_daily_token_budget 500000", "resume_chat_daily_tokens_used 1234"});
  BOOST_TEST(contains(text, "# TYPE resume_chat_daily_tokens_used gauge"));
}
