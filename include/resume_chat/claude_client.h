// The seed's chat_service: a libcurl client of the Anthropic Messages API.
//
// stream() posts one request with `stream: true`, feeds the body through SseDecoder and
// ClaudeStream, and hands each text delta to the sink as it arrives. It retries like the
// official SDKs (anthropic-api.md §4) — connection errors, timeouts, 408/409/429/5xx,
// honouring x-should-retry and retry-after(-ms) — but only before any text reached the
// sink. One ClaudeClient per thread: it owns a reusable CURL handle (kept connections).
#ifndef RESUME_CHAT_CLAUDE_CLIENT_H_
#define RESUME_CHAT_CLAUDE_CLIENT_H_

#include <curl/curl.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "resume_chat/claude_stream.h"

namespace resume_chat {

struct ClaudeConfig {
  std::string base_url;  // e.g. https://api.anthropic.com
  std::string api_key, model;
  int max_tokens = 2048;
  long connect_timeout_s = 10, idle_timeout_s = 60, total_timeout_s = 600;
  int max_retries = 2;
};

struct ChatTurn {
  std::string role;  // "user" | "assistant"
  std::string text;
};

enum class KeyStatus { kValid, kInvalid, kUnreachable, kUnexpected };
struct KeyCheck {
  KeyStatus status = KeyStatus::kUnexpected;
  long http_status = 0;
  std::string detail;  // never contains the key
};

// GET {base}/v1/models: 200 valid, 401/403 invalid, no answer within timeout_s unreachable.
KeyCheck check_api_key(const ClaudeConfig& config, long timeout_s = 5);

enum class ReplyStatus {
  kComplete,     // message_stop received
  kIncomplete,   // the body ended, or the connection broke, before message_stop
  kApiError,     // an HTTP error status, or an `error` event in the stream
  kUnreachable,  // no HTTP response at all (connect, DNS, TLS)
  kTimedOut,     // idle or total timeout
  kCancelled,    // the sink refused (client gone), `cancel` was set, or on_tick said stop
};

struct Reply {
  ReplyStatus status = ReplyStatus::kIncomplete;
  std::string text;  // everything the sink accepted, complete or partial
  Usage usage;
  std::string stop_reason;
  long http_status = 0;
  std::string error_type, error_message, request_id;
  int retries = 0;
  bool first_token_seen = false;
  double first_token_s = 0;  // seconds from the first attempt to the first text
};

// The JSON request body (RapidJSON writer): model, max_tokens, system, messages, stream.
std::string build_messages_body(const ClaudeConfig& config, const std::string& system_prompt,
                                const std::vector<ChatTurn>& history);

// Retry policy, as pure functions so they can be tested. `attempt` counts retries done.
struct RetryHints {
  std::string should_retry;    // x-should-retry header value, "" if absent
  std::string retry_after_ms;  // retry-after-ms
  std::string retry_after;     // retry-after (seconds, or an HTTP date)
};
bool should_retry(long http_status, bool connection_failed, const RetryHints& hints);
long retry_delay_ms(int attempt, const RetryHints& hints, double jitter01);

class ClaudeClient {
 public:
  explicit ClaudeClient(ClaudeConfig config);
  ~ClaudeClient();
  ClaudeClient(const ClaudeClient&) = delete;
  ClaudeClient& operator=(const ClaudeClient&) = delete;

  // `on_tick` runs about once a second while waiting (heartbeats, client checks); returning
  // false cancels. `cancel` is polled the same way (shutdown).
  Reply stream(const std::string& system_prompt, const std::vector<ChatTurn>& history,
               const TextSink& on_text, const std::atomic<bool>* cancel = nullptr,
               const std::function<bool()>& on_tick = nullptr);

  struct Attempt;  // one HTTP exchange; defined in claude_client.cc (its curl callbacks)

 private:
  void run_attempt(Attempt& attempt, const std::string& body);

  const ClaudeConfig config_;
  CURL* curl_;
};

// One sentence for the log: status, HTTP code, error type and message. No secrets.
std::string describe(const Reply& reply);

}  // namespace resume_chat

#endif  // RESUME_CHAT_CLAUDE_CLIENT_H_
