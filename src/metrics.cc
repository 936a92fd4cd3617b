// Prometheus text rendering of the worker's counters, histograms and gauges.
#include "resume_chat/metrics.h"

#include <cstdio>

namespace resume_chat {
namespace {

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", value);
  return text;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name, const std::string& labels,
            const std::string& value) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ';
  out += value;
  out += '\n';
}

// Label values here come from fixed sets or API error types (letters and '_'); quote-safe
// all the same.
std::string label_value(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds_s)
    : bounds_s_(std::move(upper_bounds_s)), counts_(bounds_s_.size() + 1) {}

void Histogram::observe_us(long long micros) {
  if (micros < 0) return;
  size_t bucket = 0;
  while (bucket < bounds_s_.size() && micros > bounds_s_[bucket] * 1e6) ++bucket;
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(micros), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, const std::string& name) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_s_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_s_.size() ? number(bounds_s_[i]) : "+Inf";
    sample(out, name + "_bucket", "le=\"" + le + "\"", std::to_string(cumulative));
  }
  sample(out, name + "_sum", "", number(sum_us_.load(std::memory_order_relaxed) / 1e6));
  sample(out, name + "_count", "", std::to_string(cumulative));
}

Metrics::Metrics()
    : first_token_({0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60}),
      stream_duration_({0.5, 1, 2.5, 5, 10, 20, 40, 60, 120, 300}) {}

void Metrics::count_request(std::string_view route, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{std::string(route), status}];
}

void Metrics::count_stream(const StreamOutcome& stream) {
  first_token_.observe_us(stream.first_token_us);
  stream_duration_.observe_us(stream.duration_us);
  input_tokens_ += static_cast<uint64_t>(stream.input_tokens);
  output_tokens_ += static_cast<uint64_t>(stream.output_tokens);
  cache_read_tokens_ += static_cast<uint64_t>(stream.cache_read_tokens);
  cache_creation_tokens_ += static_cast<uint64_t>(stream.cache_creation_tokens);
  retries_ += static_cast<uint64_t>(stream.retries);
  std::lock_guard<std::mutex> lock(mu_);
  ++outcomes_[stream.outcome];
  if (!stream.upstream_error.empty()) ++upstream_errors_[stream.upstream_error];
}

void Metrics::count_document_lookup(bool from_cache) {
  (from_cache ? cache_hits_ : cache_misses_).fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(const MetricsGauges& gauges) const {
  std::string out;
  out.reserve(4096);
  {
    std::lock_guard<std::mutex> lock(mu_);
    header(out, "resume_chat_requests_total", "counter", "Requests answered, by route and status.");
    for (const auto& [key, count] : requests_) {
      sample(out, "resume_chat_requests_total",
             "route=\"" + label_value(key.first) + "\",status=\"" + std::to_string(key.second) + "\"",
             std::to_string(count));
    }
    header(out, "resume_chat_streams_total", "counter",
           "Chat replies streamed from Claude, by outcome.");
    for (const auto& [outcome, count] : outcomes_) {
      sample(out, "resume_chat_streams_total", "outcome=\"" + label_value(outcome) + "\"",
             std::to_string(count));
    }
    header(out, "resume_chat_upstream_errors_total", "counter",
           "Replies that failed on the Anthropic side, by error type.");
    for (const auto& [type, count] : upstream_errors_) {
      sample(out, "resume_chat_upstream_errors_total", "type=\"" + label_value(type) + "\"",
             std::to_string(count));
    }
  }
  header(out, "resume_chat_streams_in_flight", "gauge", "Chat replies streaming now.");
  sample(out, "resume_chat_streams_in_flight", "", std::to_string(gauges.streams_in_flight));
  header(out, "resume_chat_stream_capacity", "gauge", "STREAM_CAPACITY: streams allowed at once.");
  sample(out, "resume_chat_stream_capacity", "", std::to_string(gauges.stream_capacity));
  header(out, "resume_chat_time_to_first_token_seconds", "histogram",
         "From the request reaching the worker to the first token forwarded.");
  first_token_.render(out, "resume_chat_time_to_first_token_seconds");
  header(out, "resume_chat_stream_duration_seconds", "histogram",
         "From the request reaching the worker to the end of the streamed reply.");
  stream_duration_.render(out, "resume_chat_stream_duration_seconds");
  header(out, "resume_chat_tokens_total", "counter",
         "Tokens reported in Claude's usage, by kind (cache_* are part of the input).");
  sample(out, "resume_chat_tokens_total", "kind=\"input\"", std::to_string(input_tokens_.load()));
  sample(out, "resume_chat_tokens_total", "kind=\"output\"", std::to_string(output_tokens_.load()));
  sample(out, "resume_chat_tokens_total", "kind=\"cache_read\"",
         std::to_string(cache_read_tokens_.load()));
  sample(out, "resume_chat_tokens_total", "kind=\"cache_creation\"",
         std::to_string(cache_creation_tokens_.load()));
  header(out, "resume_chat_upstream_retries_total", "counter",
         "Requests to the Anthropic API retried (connection errors, 429, 5xx, 529).");
  sample(out, "resume_chat_upstream_retries_total", "", std::to_string(retries_.load()));
  header(out, "resume_chat_upstream_connections_opened_total", "counter",
         "Connections opened to the Anthropic API (HTTP/2: many streams share one).");
  sample(out, "resume_chat_upstream_connections_opened_total", "",
         std::to_string(gauges.upstream_connections_opened));
  header(out, "resume_chat_page_document_reads_total", "counter",
         "Documents a page needed, by source: the short-lived cache or the database.");
  sample(out, "resume_chat_page_document_reads_total", "source=\"cache\"",
         std::to_string(cache_hits_.load()));
  sample(out, "resume_chat_page_document_reads_total", "source=\"database\"",
         std::to_string(cache_misses_.load()));
  header(out, "resume_chat_db_pool_connections", "gauge", "Database connections open, by state.");
  sample(out, "resume_chat_db_pool_connections", "state=\"in_use\"", std::to_string(gauges.pool.in_use));
  sample(out, "resume_chat_db_pool_connections", "state=\"idle\"", std::to_string(gauges.pool.idle));
  header(out, "resume_chat_db_pool_max", "gauge", "DB_POOL_MAX: connections the pool may open.");
  sample(out, "resume_chat_db_pool_max", "", std::to_string(gauges.pool_max));
  header(out, "resume_chat_db_pool_waits_total", "counter",
         "Leases that had to wait for a free connection.");
  sample(out, "resume_chat_db_pool_waits_total", "", std::to_string(gauges.pool.waits));
  header(out, "resume_chat_db_pool_timeouts_total", "counter",
         "Leases that gave up waiting (the request got a database error).");
  sample(out, "resume_chat_db_pool_timeouts_total", "", std::to_string(gauges.pool.timeouts));
  header(out, "resume_chat_db_pool_replaced_total", "counter",
         "Idle connections found closed by the server and replaced.");
  sample(out, "resume_chat_db_pool_replaced_total", "", std::to_string(gauges.pool.replaced));
  header(out, "resume_chat_daily_token_budget", "gauge",
         "DAILY_TOKEN_BUDGET: tokens allowed per UTC day, all workers together (0: no budget).");
  sample(out, "resume_chat_daily_token_budget", "", std::to_string(gauges.daily_token_budget));
  if (gauges.daily_tokens_used) {
    header(out, "resume_chat_daily_tokens_used", "gauge",
           "Tokens (input, cache and output) used today (UTC) by all workers, from the database.");
    sample(out, "resume_chat_daily_tokens_used", "", std::to_string(*gauges.daily_tokens_used));
  }
  return out;
}

std::string_view route_label(std::string_view path) {
  for (std::string_view known : {"/", "/chat", "/healthz", "/metrics"}) {
    if (path == known) return known;
  }
  return "other";
}

}  // namespace resume_chat
