// SSE framing of the /chat events; JSON escaping from log.h.
#include "resume_chat/chat_events.h"

#include "resume_chat/log.h"

namespace resume_chat {

std::string token_event(std::string_view text) {
  std::string event = "event: token\ndata: {\"text\":\"";
  event += json_escape(text);
  event += "\"}\n\n";
  return event;
}

std::string error_event(const std::string& message) {
  return "event: error\ndata: {\"message\":\"" + json_escape(message) + "\"}\n\n";
}

std::string done_event(std::string_view outcome) {
  return "event: done\ndata: {\"outcome\":\"" + json_escape(outcome) + "\"}\n\n";
}

std::string history_event(size_t omitted) {
  return "event: history\ndata: {\"omitted\":" + std::to_string(omitted) + "}\n\n";
}

std::string notice_event(const std::string& message) {
  return "event: notice\ndata: {\"message\":\"" + json_escape(message) + "\"}\n\n";
}

}  // namespace resume_chat
