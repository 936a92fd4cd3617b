// The seed's chat_service, the Messages API's side of a reply: the request body and headers,
// one HTTP attempt read from its raw header lines and body bytes (SSE for a 200, a JSON
// error otherwise), and the reply's outcome. No I/O here: the upstream engine
// (claude_engine.h) moves the bytes; this decides what they mean.
#ifndef RESUME_CHAT_CLAUDE_CLIENT_H_
#define RESUME_CHAT_CLAUDE_CLIENT_H_

#include <string>
#include <string_view>
#include <vector>

#include "resume_chat/claude_stream.h"
#include "resume_chat/retry_policy.h"
#include "resume_chat/sse_decoder.h"

namespace resume_chat {

struct ClaudeConfig {
  std::string base_url;  // e.g. https://api.anthropic.com
  std::string api_key, model;
  std::string ca_file;   // CA bundle for the API's TLS certificate; "" = the system's
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

enum class ReplyStatus {
  kComplete,     // message_stop received
  kIncomplete,   // the body ended, or the connection broke, before message_stop
  kApiError,     // an HTTP error status, or an `error` event in the stream
  kUnreachable,  // no HTTP response at all (connect, DNS, TLS)
  kTimedOut,     // silent for the idle timeout, or past the total timeout
  kCancelled,    // stopped on our side: see CancelReason
};

enum class CancelReason { kNone, kClientGone, kClientTooSlow, kShutdown, kInternalError };

struct Reply {
  ReplyStatus status = ReplyStatus::kIncomplete;
  CancelReason cancel_reason = CancelReason::kNone;
  std::string text;  // everything forwarded to the reader, complete or partial
  Usage usage;
  std::string stop_reason;
  long http_status = 0;
  std::string error_type, error_message, request_id;
  int retries = 0;
};

// The JSON request body (RapidJSON writer): model, max_tokens, system, messages, stream.
std::string build_messages_body(const ClaudeConfig& config, const std::string& system_prompt,
                                const std::vector<ChatTurn>& history);

// x-api-key, anthropic-version, content-type and accept. Never log these.
std::vector<std::string> api_header_lines(const ClaudeConfig& config);

// One HTTP exchange with POST /v1/messages, fed the raw header lines and body bytes.
class ApiAttempt {
 public:
  explicit ApiAttempt(TextSink on_text) : stream_(std::move(on_text)) {}

  void on_header_line(std::string_view line);
  // False: stop reading (an `error` event, a malformed event, or the sink refused).
  bool on_body(std::string_view bytes);

  long http_status() const { return status_; }
  const RetryHints& hints() const { return hints_; }

  // The outcome once the transfer has ended with libcurl's `transfer_error` ("" for
  // CURLE_OK); `timed_out` when our idle or total timeout ended it.
  void classify(const std::string& transfer_error, bool timed_out, Reply& reply) const;

 private:
  ClaudeStream stream_;
  SseDecoder decoder_;
  long status_ = 0;
  std::string error_body_, request_id_;
  RetryHints hints_;
};

// One sentence for the log: status, HTTP code, error type and message. No secrets.
std::string describe(const Reply& reply);

// The seed's "Error: …" text for a reply that did not complete ("" when it did).
std::string reply_error_text(const Reply& reply);

const char* reply_status_name(ReplyStatus status);

}  // namespace resume_chat

#endif  // RESUME_CHAT_CLAUDE_CLIENT_H_
