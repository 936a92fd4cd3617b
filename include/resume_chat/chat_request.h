// POST /chat request bodies: {"session": "<token>", "message": "<text>"} and an optional
// "regenerate": true (answer the session's newest question again, docs/architecture.md, "The /chat
// contract"), checked before anything touches the database. Each refusal carries its HTTP
// status and a clear text.
#ifndef RESUME_CHAT_CHAT_REQUEST_H_
#define RESUME_CHAT_CHAT_REQUEST_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace resume_chat {

struct ChatRequest {
  std::string session_token;
  std::string message;
  bool regenerate = false;  // Retry: `message` is the question to answer again
};

struct ChatRequestParse {
  std::optional<ChatRequest> request;
  int status = 400;   // when refused
  std::string error;  // when refused: shown to the user
};

// The deepest nesting of objects and arrays a body may have (the page sends depth 1).
// Deeper bodies are refused as soon as the limit is crossed; parsing never recurses.
constexpr size_t kMaxChatJsonDepth = 16;

// `content_type` is the CONTENT_TYPE parameter; `max_chars` counts code points. Refused
// with 400: anything but one JSON object, a NUL byte anywhere, a key repeated in any
// object, nesting deeper than kMaxChatJsonDepth.
ChatRequestParse parse_chat_request(std::string_view content_type, std::string_view body,
                                    int max_chars);

// True for application/json, with or without parameters (charset=utf-8).
bool is_json_content_type(std::string_view content_type);

}  // namespace resume_chat

#endif  // RESUME_CHAT_CHAT_REQUEST_H_
