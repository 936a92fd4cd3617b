// The /chat response's Server-Sent Events (docs/architecture.md, "The /chat contract"): `token`, `done`,
// `error`, and the `: ping` comment that keeps proxies from timing out a silent stream.
#ifndef RESUME_CHAT_CHAT_EVENTS_H_
#define RESUME_CHAT_CHAT_EVENTS_H_

#include <string>
#include <string_view>

namespace resume_chat {

inline constexpr std::string_view kPingComment = ": ping\n\n";
inline const char* const kEventStreamType = "text/event-stream; charset=utf-8";

std::string token_event(std::string_view text);
std::string error_event(const std::string& message);
std::string done_event();

}  // namespace resume_chat

#endif  // RESUME_CHAT_CHAT_EVENTS_H_
