// The Messages API stream as events: turns decoded SSE events into reply text, usage and
// the stream's outcome, following the API's streaming guide
// (https://docs.claude.com/en/docs/build-with-claude/streaming, "Event types").
//
// Text is taken only from `text_delta` deltas of blocks that started as `text` (thinking,
// tool input, citations and unknown delta or block types are skipped). `ping` and unknown
// event types are ignored. `event: error` ends the stream as an error. Only `message_stop`
// makes a reply complete. Usage in message_delta is cumulative: it replaces, never adds.
#ifndef RESUME_CHAT_CLAUDE_STREAM_H_
#define RESUME_CHAT_CLAUDE_STREAM_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "resume_chat/sse_decoder.h"

namespace resume_chat {

struct Usage {
  long input_tokens = 0, output_tokens = 0;
  long cache_creation_input_tokens = 0, cache_read_input_tokens = 0;
};

struct ApiError {
  std::string type;
  std::string message;
};

// Receives each piece of reply text; returning false stops the stream (client gone).
using TextSink = std::function<bool(std::string_view text)>;

class ClaudeStream {
 public:
  explicit ClaudeStream(TextSink sink) : sink_(std::move(sink)) {}

  // False = stop reading: an error event, a malformed known event, or the sink refused.
  bool on_event(const SseEvent& event);

  bool complete() const { return complete_ && !error_; }
  const std::optional<ApiError>& error() const { return error_; }
  const Usage& usage() const { return usage_; }
  const std::string& stop_reason() const { return stop_reason_; }

 private:
  TextSink sink_;
  std::map<long, std::string> block_types_;  // content block index → type
  std::optional<ApiError> error_;
  Usage usage_;
  std::string stop_reason_;
  bool complete_ = false;
};

// Parses an API error body {"type":"error","error":{"type":..,"message":..}}; empty fields
// when it is not one.
ApiError parse_api_error(std::string_view json);

}  // namespace resume_chat

#endif  // RESUME_CHAT_CLAUDE_STREAM_H_
