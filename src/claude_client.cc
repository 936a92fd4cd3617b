// libcurl transport for the Messages API: request body, streaming attempt, retry loop.
#include "resume_chat/claude_client.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <random>
#include <thread>

namespace resume_chat {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxErrorBody = 64 * 1024;

class HeaderList {
 public:
  explicit HeaderList(const std::vector<std::string>& lines) {
    for (const auto& line : lines) list_ = curl_slist_append(list_, line.c_str());
  }
  ~HeaderList() { curl_slist_free_all(list_); }
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

std::vector<std::string> api_headers(const ClaudeConfig& config) {
  return {"x-api-key: " + config.api_key, "anthropic-version: 2023-06-01",
          "content-type: application/json", "accept: text/event-stream", "expect:"};
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  size_t first = text.find_first_not_of(' ');
  return first == std::string::npos ? std::string() : text.substr(first);
}

// Parses a number of seconds (or ms), or an HTTP date for retry-after; -1 if unusable.
double parse_delay_seconds(const std::string& text, bool allow_date) {
  if (text.empty()) return -1;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() && *end == '\0' && std::isfinite(value)) return value;
  if (!allow_date) return -1;
  std::tm when{};
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &when) == nullptr) return -1;
  return std::difftime(timegm(&when), std::time(nullptr));
}

bool sleep_unless_cancelled(long ms, const std::atomic<bool>* cancel,
                            const std::function<bool()>& on_tick) {
  const auto until = Clock::now() + std::chrono::milliseconds(ms);
  auto next_tick = Clock::now() + std::chrono::seconds(1);
  while (Clock::now() < until) {
    if (cancel && cancel->load()) return false;
    if (on_tick && Clock::now() >= next_tick) {
      if (!on_tick()) return false;
      next_tick = Clock::now() + std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

// The system prompt (resume + job description) and the conversation so far each end in a
// cache breakpoint, so a long session re-reads its context from the prompt cache. (Haiku
// 4.5 caches only prompts of 4096 tokens or more; shorter ones are simply not cached.)
std::string build_messages_body(const ClaudeConfig& config, const std::string& system_prompt,
                                const std::vector<ChatTurn>& history) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> json(buffer);
  auto string = [&](const std::string& s) {
    json.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  auto cached_text_block = [&](const std::string& text) {
    json.StartArray();
    json.StartObject();
    json.Key("type");
    json.String("text");
    json.Key("text");
    string(text);
    json.Key("cache_control");
    json.StartObject();
    json.Key("type");
    json.String("ephemeral");
    json.EndObject();
    json.EndObject();
    json.EndArray();
  };
  json.StartObject();
  json.Key("model");
  string(config.model);
  json.Key("max_tokens");
  json.Int(config.max_tokens);
  if (!system_prompt.empty()) {
    json.Key("system");
    cached_text_block(system_prompt);
  }
  json.Key("messages");
  json.StartArray();
  for (size_t i = 0; i < history.size(); ++i) {
    json.StartObject();
    json.Key("role");
    string(history[i].role);
    json.Key("content");
    if (i + 1 == history.size()) {
      cached_text_block(history[i].text);
    } else {
      string(history[i].text);
    }
    json.EndObject();
  }
  json.EndArray();
  json.Key("stream");
  json.Bool(true);
  json.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool should_retry(long http_status, bool connection_failed, const RetryHints& hints) {
  const std::string header = lower(hints.should_retry);
  if (header == "true") return true;
  if (header == "false") return false;
  if (connection_failed) return true;
  return http_status == 408 || http_status == 409 || http_status == 429 || http_status >= 500;
}

long retry_delay_ms(int attempt, const RetryHints& hints, double jitter01) {
  double seconds = parse_delay_seconds(hints.retry_after_ms, false);
  if (seconds >= 0) seconds /= 1000.0;
  if (seconds < 0) seconds = parse_delay_seconds(hints.retry_after, true);
  if (seconds > 0 && seconds <= 60) return static_cast<long>(seconds * 1000.0);
  // The SDKs' backoff: 0.5 s doubling per retry, capped at 8 s, minus up to 25 % jitter.
  double backoff = std::min(0.5 * std::pow(2.0, attempt), 8.0) * (1.0 - 0.25 * jitter01);
  return static_cast<long>(backoff * 1000.0);
}

struct ClaudeClient::Attempt {
  explicit Attempt(const TextSink& sink) : stream(sink) {}
  ClaudeStream stream;
  SseDecoder decoder;
  long status = 0;
  std::string error_body, request_id;
  RetryHints hints;
  bool stopped_by_us = false;  // we aborted the transfer on purpose
  const std::atomic<bool>* cancel = nullptr;
  const std::function<bool()>* on_tick = nullptr;
  Clock::time_point next_tick;
  bool cancelled = false;
  CURLcode code = CURLE_OK;
  CURL* curl = nullptr;
};

namespace {

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* attempt = static_cast<ClaudeClient::Attempt*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (e.g. after 100 Continue)
    attempt->hints = RetryHints{};
    attempt->request_id.clear();
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return size * count;
  std::string name = lower(line.substr(0, colon)), value = trim(line.substr(colon + 1));
  if (name == "request-id") attempt->request_id = value;
  if (name == "x-should-retry") attempt->hints.should_retry = value;
  if (name == "retry-after-ms") attempt->hints.retry_after_ms = value;
  if (name == "retry-after") attempt->hints.retry_after = value;
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* attempt = static_cast<ClaudeClient::Attempt*>(user);
  const size_t n = size * count;
  if (attempt->status == 0) curl_easy_getinfo(attempt->curl, CURLINFO_RESPONSE_CODE, &attempt->status);
  if (attempt->status != 200) {
    if (attempt->error_body.size() < kMaxErrorBody) attempt->error_body.append(data, n);
    return n;
  }
  bool go_on = attempt->decoder.feed(std::string_view(data, n), [attempt](const SseEvent& e) {
    return attempt->stream.on_event(e);
  });
  if (go_on) return n;
  attempt->stopped_by_us = true;
  return CURL_WRITEFUNC_ERROR;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* attempt = static_cast<ClaudeClient::Attempt*>(user);
  if (attempt->cancel && attempt->cancel->load()) {
    attempt->cancelled = true;
    return 1;
  }
  if (attempt->on_tick && *attempt->on_tick && Clock::now() >= attempt->next_tick) {
    attempt->next_tick = Clock::now() + std::chrono::seconds(1);
    if (!(*attempt->on_tick)()) {
      attempt->cancelled = true;
      return 1;
    }
  }
  return 0;
}

}  // namespace

ClaudeClient::ClaudeClient(ClaudeConfig config)
    : config_(std::move(config)), curl_(curl_easy_init()) {}

ClaudeClient::~ClaudeClient() {
  if (curl_ != nullptr) curl_easy_cleanup(curl_);
}

void ClaudeClient::run_attempt(Attempt& attempt, const std::string& body) {
  const std::string url = config_.base_url + "/v1/messages";
  HeaderList headers(api_headers(config_));
  curl_easy_reset(curl_);  // keeps live connections, drops the previous options
  attempt.curl = curl_;
  attempt.next_tick = Clock::now() + std::chrono::seconds(1);
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl_, CURLOPT_POST, 1L);
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());  // not copied: body outlives us
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &attempt);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &attempt);
  curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, &attempt);
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, config_.connect_timeout_s);
  curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, 1L);  // idle: < 1 byte/s ...
  curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, config_.idle_timeout_s);  // ... this long
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT, config_.total_timeout_s);
  curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
  attempt.code = curl_easy_perform(curl_);
  if (attempt.status == 0) curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &attempt.status);
}

namespace {

void classify(const ClaudeClient::Attempt& attempt, Reply& reply) {
  reply.http_status = attempt.status;
  reply.request_id = attempt.request_id;
  reply.usage = attempt.stream.usage();
  reply.stop_reason = attempt.stream.stop_reason();
  if (attempt.cancelled || attempt.stream.sink_refused()) {
    reply.status = ReplyStatus::kCancelled;
  } else if (attempt.status != 0 && attempt.status != 200) {
    ApiError error = parse_api_error(attempt.error_body);
    reply.status = ReplyStatus::kApiError;
    reply.error_type = error.type.empty() ? "http_" + std::to_string(attempt.status) : error.type;
    reply.error_message = error.message;
  } else if (attempt.stream.error()) {
    reply.status = ReplyStatus::kApiError;
    reply.error_type = attempt.stream.error()->type;
    reply.error_message = attempt.stream.error()->message;
  } else if (attempt.stream.complete()) {
    reply.status = ReplyStatus::kComplete;
  } else if (attempt.code == CURLE_OPERATION_TIMEDOUT) {
    reply.status = attempt.status == 0 ? ReplyStatus::kUnreachable : ReplyStatus::kTimedOut;
    reply.error_message = curl_easy_strerror(attempt.code);
  } else if (attempt.status == 0) {
    reply.status = ReplyStatus::kUnreachable;
    reply.error_message = curl_easy_strerror(attempt.code);
  } else {
    reply.status = ReplyStatus::kIncomplete;  // includes CURLE_OK without message_stop
    reply.error_message = attempt.decoder.failed() ? "SSE line too long"
                          : attempt.code == CURLE_OK ? "stream ended without message_stop"
                                                     : curl_easy_strerror(attempt.code);
  }
}

}  // namespace

Reply ClaudeClient::stream(const std::string& system_prompt, const std::vector<ChatTurn>& history,
                           const TextSink& on_text, const std::atomic<bool>* cancel,
                           const std::function<bool()>& on_tick) {
  Reply reply;
  if (curl_ == nullptr) {
    reply.status = ReplyStatus::kUnreachable;
    reply.error_message = "curl_easy_init failed";
    return reply;
  }
  const std::string body = build_messages_body(config_, system_prompt, history);
  const auto started = Clock::now();
  std::mt19937 random(std::random_device{}());
  TextSink counting_sink = [&](std::string_view text) {
    if (!reply.first_token_seen) {
      reply.first_token_seen = true;
      reply.first_token_s = std::chrono::duration<double>(Clock::now() - started).count();
    }
    if (!on_text(text)) return false;
    reply.text.append(text);
    return true;
  };
  for (int attempt_no = 0;; ++attempt_no) {
    Attempt attempt(counting_sink);
    attempt.cancel = cancel;
    attempt.on_tick = &on_tick;
    run_attempt(attempt, body);
    classify(attempt, reply);
    bool retryable = reply.status == ReplyStatus::kUnreachable ||
                     (reply.status == ReplyStatus::kApiError && attempt.status != 200) ||
                     (reply.status == ReplyStatus::kTimedOut) ||
                     (reply.status == ReplyStatus::kIncomplete && attempt.status == 200);
    bool connection_failed = attempt.status == 0 || attempt.status == 200;
    if (!retryable || !reply.text.empty() || attempt_no >= config_.max_retries ||
        !should_retry(attempt.status == 200 ? 0 : attempt.status, connection_failed,
                      attempt.hints)) {
      return reply;
    }
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    long delay = retry_delay_ms(attempt_no, attempt.hints, jitter(random));
    if (!sleep_unless_cancelled(delay, cancel, on_tick)) {
      reply.status = ReplyStatus::kCancelled;
      return reply;
    }
    reply = Reply{};
    reply.retries = attempt_no + 1;
  }
}

KeyCheck check_api_key(const ClaudeConfig& config, long timeout_s) {
  KeyCheck check;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    check.detail = "curl_easy_init failed";
    return check;
  }
  const std::string url = config.base_url + "/v1/models?limit=1";
  HeaderList headers({"x-api-key: " + config.api_key, "anthropic-version: 2023-06-01"});
  std::string sink;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout_s);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION,
                   +[](char*, size_t size, size_t count, void*) { return size * count; });
  CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &check.http_status);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    check.status = KeyStatus::kUnreachable;
    check.detail = curl_easy_strerror(code);
  } else if (check.http_status == 200) {
    check.status = KeyStatus::kValid;
  } else if (check.http_status == 401 || check.http_status == 403) {
    check.status = KeyStatus::kInvalid;
  } else {
    check.status = KeyStatus::kUnexpected;
    check.detail = "HTTP " + std::to_string(check.http_status);
  }
  return check;
}

std::string describe(const Reply& reply) {
  static const char* const kNames[] = {"complete", "incomplete", "api_error",
                                       "unreachable", "timed_out", "cancelled"};
  std::string text = kNames[static_cast<int>(reply.status)];
  if (reply.http_status != 0) text += " (HTTP " + std::to_string(reply.http_status) + ")";
  if (!reply.error_type.empty()) text += " " + reply.error_type;
  if (!reply.error_message.empty()) text += ": " + reply.error_message;
  if (reply.retries > 0) text += " after " + std::to_string(reply.retries) + " retries";
  return text;
}

}  // namespace resume_chat
