// The Messages API request, one attempt's response, and what a reply's outcome means.
#include "resume_chat/claude_client.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "resume_chat/text.h"
#include "resume_chat/user_texts.h"

namespace resume_chat {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return text;
}

// "HTTP/1.1 200 OK", "HTTP/2 200": the status code, or 0.
long parse_status_line(std::string_view line) {
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  return static_cast<long>(parse_decimal(line.substr(space + 1, 3), 3).value_or(0));
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

std::vector<std::string> api_header_lines(const ClaudeConfig& config) {
  return {"x-api-key: " + config.api_key, "anthropic-version: 2023-06-01",
          "content-type: application/json", "accept: text/event-stream", "expect:"};
}

void ApiAttempt::on_header_line(std::string_view line) {
  if (starts_with(line, "HTTP/")) {  // a new response (e.g. after 100 Continue)
    status_ = parse_status_line(line);
    hints_ = RetryHints{};
    request_id_.clear();
    return;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  const std::string name = lower(line.substr(0, colon));
  const std::string_view value = trim(line.substr(colon + 1));
  if (name == "request-id") request_id_ = value;
  if (name == "x-should-retry") hints_.should_retry = value;
  if (name == "retry-after-ms") hints_.retry_after_ms = value;
  if (name == "retry-after") hints_.retry_after = value;
}

bool ApiAttempt::on_body(std::string_view bytes) {
  if (status_ != 200) {
    if (error_body_.size() < kMaxErrorBody) error_body_.append(bytes.data(), bytes.size());
    return true;
  }
  return decoder_.feed(bytes, [this](const SseEvent& e) { return stream_.on_event(e); });
}

void ApiAttempt::classify(const std::string& transfer_error, bool timed_out, Reply& reply) const {
  reply.http_status = status_;
  reply.request_id = request_id_;
  reply.usage = stream_.usage();
  reply.stop_reason = stream_.stop_reason();
  if (status_ != 0 && status_ != 200) {
    ApiError error = parse_api_error(error_body_);
    reply.status = ReplyStatus::kApiError;
    reply.error_type = error.type.empty() ? "http_" + std::to_string(status_) : error.type;
    reply.error_message = error.message;
  } else if (stream_.error()) {
    reply.status = ReplyStatus::kApiError;
    reply.error_type = stream_.error()->type;
    reply.error_message = stream_.error()->message;
  } else if (stream_.complete()) {
    reply.status = ReplyStatus::kComplete;
  } else if (status_ == 0) {
    reply.status = timed_out ? ReplyStatus::kTimedOut : ReplyStatus::kUnreachable;
    reply.error_message = timed_out ? "no response within the idle timeout" : transfer_error;
  } else if (timed_out) {
    reply.status = ReplyStatus::kTimedOut;
    reply.error_message = "the stream was silent for the idle timeout";
  } else {
    reply.status = ReplyStatus::kIncomplete;
    reply.error_message = decoder_.failed()       ? "SSE line too long"
                          : transfer_error.empty() ? "stream ended without message_stop"
                                                   : transfer_error;
  }
}

const char* reply_status_name(ReplyStatus status) {
  switch (status) {
    case ReplyStatus::kComplete: return "complete";
    case ReplyStatus::kIncomplete: return "incomplete";
    case ReplyStatus::kApiError: return "api_error";
    case ReplyStatus::kUnreachable: return "unreachable";
    case ReplyStatus::kTimedOut: return "timed_out";
    case ReplyStatus::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string describe(const Reply& reply) {
  std::string text = reply_status_name(reply.status);
  if (reply.http_status != 0) text += " (HTTP " + std::to_string(reply.http_status) + ")";
  if (!reply.error_type.empty()) text += " " + reply.error_type;
  if (!reply.error_message.empty()) text += ": " + reply.error_message;
  if (reply.retries > 0) text += " after " + std::to_string(reply.retries) + " retries";
  return text;
}

std::string reply_error_text(const Reply& reply) {
  switch (reply.status) {
    case ReplyStatus::kComplete:
      return "";
    case ReplyStatus::kUnreachable:
      return kErrorClaudeApi;
    case ReplyStatus::kTimedOut:
      return "Error: Claude stopped responding. Please try again.";
    case ReplyStatus::kCancelled:
      switch (reply.cancel_reason) {
        case CancelReason::kShutdown:
          return "Error: The server is restarting. Please send your message again.";
        case CancelReason::kInternalError:
          return "Error: Something went wrong on the server. Please try again.";
        default:
          return "Error: The reply was stopped.";
      }
    case ReplyStatus::kIncomplete:
      return "Error: The reply was interrupted. Please try again.";
    case ReplyStatus::kApiError:
      break;
  }
  if (reply.http_status == 401 || reply.http_status == 403) return kErrorClaudeApi;
  if (reply.http_status == 429 || reply.error_type == "rate_limit_error") {
    return "Error: Claude is receiving too many requests. Please try again in a moment.";
  }
  if (reply.http_status == 529 || reply.error_type == "overloaded_error") {
    return "Error: Claude is overloaded right now. Please try again in a moment.";
  }
  // No internal codes on the page: the type and status are in the chat's log line
  // (upstream_error) for the operator.
  if (reply.http_status >= 500) {
    return "Error: Claude's service is having trouble right now. Please try again in a moment.";
  }
  return "Error: Claude could not answer this message. Please try again.";
}

}  // namespace resume_chat
