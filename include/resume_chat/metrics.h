// The worker's counters for GET /metrics, rendered in the Prometheus text format (0.0.4).
//
// One Metrics object per process, shared by every worker thread: histograms and token
// counters are lock-free atomics; the labelled counters (requests by route and status,
// streams by outcome, upstream errors by type) share a mutex, taken once per request.
#ifndef RESUME_CHAT_METRICS_H_
#define RESUME_CHAT_METRICS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resume_chat/db_pool.h"

namespace resume_chat {

// Fixed buckets (upper bounds in seconds); observations counted per bucket, summed in µs.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds_s);
  void observe_us(long long micros);
  // `name_bucket{le=...}` cumulative lines, then `name_sum` and `name_count`.
  void render(std::string& out, const std::string& name) const;

 private:
  const std::vector<double> bounds_s_;
  std::vector<std::atomic<uint64_t>> counts_;  // one per bound, then +Inf
  std::atomic<uint64_t> sum_us_{0};
};

// What a finished stream contributes (from the Reply and the forwarding loop).
struct StreamOutcome {
  std::string outcome;        // complete, incomplete, api_error, unreachable, timed_out, cancelled
  std::string upstream_error; // "" or the type: overloaded_error, http_500, unreachable, ...
  long long first_token_us = -1;
  long long duration_us = 0;
  long input_tokens = 0, output_tokens = 0, cache_read_tokens = 0, cache_creation_tokens = 0;
  int retries = 0;
};

// Point-in-time values read when /metrics is scraped.
struct MetricsGauges {
  int streams_in_flight = 0;
  int stream_capacity = 0;
  long upstream_connections_opened = 0;
  int pool_max = 0;
  DbPoolStats pool;
  int64_t daily_token_budget = 0;              // DAILY_TOKEN_BUDGET; 0: none
  std::optional<int64_t> daily_tokens_used;    // today (UTC), all workers; unknown: not shown
};

class Metrics {
 public:
  Metrics();

  // Route is one of the worker's routes ("/", "/chat", "/healthz", "/metrics") or "other".
  void count_request(std::string_view route, int status);
  void count_stream(const StreamOutcome& stream);
  void count_document_lookup(bool from_cache);

  std::string render(const MetricsGauges& gauges) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // guarded by mu_
  std::map<std::string, uint64_t> outcomes_;                   // guarded by mu_
  std::map<std::string, uint64_t> upstream_errors_;            // guarded by mu_
  Histogram first_token_;
  Histogram stream_duration_;
  std::atomic<uint64_t> input_tokens_{0}, output_tokens_{0};
  std::atomic<uint64_t> cache_read_tokens_{0}, cache_creation_tokens_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> cache_hits_{0}, cache_misses_{0};
};

// The metric-name-safe route label for a request path (unknown paths are "other", so a
// scanner cannot grow the label set).
std::string_view route_label(std::string_view path);

}  // namespace resume_chat

#endif  // RESUME_CHAT_METRICS_H_
