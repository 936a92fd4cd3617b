// The /chat response's Server-Sent Events (docs/architecture.md, "The /chat contract"):
// `history`, `token`, `notice`, `done`, `error`, and the `: ping` comment that keeps proxies
// from timing out a silent stream.
#ifndef RESUME_CHAT_CHAT_EVENTS_H_
#define RESUME_CHAT_CHAT_EVENTS_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace resume_chat {

inline constexpr std::string_view kPingComment = ": ping\n\n";
inline const char* const kEventStreamType = "text/event-stream; charset=utf-8";

std::string token_event(std::string_view text);
std::string error_event(const std::string& message);
// The reply is complete and stored; `outcome` is complete or max_tokens (reply_outcome.h).
std::string done_event(std::string_view outcome = "complete");
// Before the first token: the `omitted` oldest stored messages no longer reach Claude.
std::string history_event(size_t omitted);
// A quiet line for the reader that is not an error (saving is late).
std::string notice_event(const std::string& message);

}  // namespace resume_chat

#endif  // RESUME_CHAT_CHAT_EVENTS_H_
