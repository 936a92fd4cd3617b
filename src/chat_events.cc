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

std::string done_event() { return "event: done\ndata: {}\n\n"; }

}  // namespace resume_chat
