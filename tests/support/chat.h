// Test support: a /chat conversation through the stack's nginx, as a browser has it: a page's
// session token, a question posted, the event stream read back as events.
#ifndef RESUME_CHAT_TESTS_SUPPORT_CHAT_H_
#define RESUME_CHAT_TESTS_SUPPORT_CHAT_H_

#include <string>
#include <vector>

#include "support/http.h"
#include "support/stack.h"

namespace test_support {

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline std::string page_url(const std::string& q) { return base_url() + "/?q=" + url_encode(q); }

struct Event {
  std::string name, data;
};

inline std::vector<Event> events_of(const std::string& body) {
  std::vector<Event> events;
  size_t start = 0, end;
  while ((end = body.find("\n\n", start)) != std::string::npos) {
    Event e;
    std::string block = body.substr(start, end - start);
    start = end + 2;
    size_t pos = 0;
    while (pos < block.size()) {
      size_t nl = block.find('\n', pos);
      std::string line = block.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? block.size() : nl + 1;
      if (line.rfind("event: ", 0) == 0) e.name = line.substr(7);
      if (line.rfind("data: ", 0) == 0) e.data = line.substr(6);
    }
    if (!e.name.empty()) events.push_back(e);
  }
  return events;
}

// The text of all token events (JSON-unescaped for the characters the tests use).
inline std::string reply_text(const std::vector<Event>& events) {
  std::string text;
  for (const auto& e : events) {
    if (e.name != "token") continue;
    std::string raw = e.data.substr(9, e.data.size() - 11);  // {"text":"…"}
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size()) {
        char c = raw[++i];
        text += c == 'n' ? '\n' : c;
      } else {
        text += raw[i];
      }
    }
  }
  return text;
}

inline std::string session_token(const std::string& document = "demo") {
  std::string body = get(page_url(document)).body;
  size_t at = body.find("data-session=\"") + 14;
  return body.substr(at, body.find('"', at) - at);
}

inline std::string uuid_of(const std::string& token) { return token.substr(3, 36); }

inline std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + "\"";
}

inline HttpRequest chat_request(const std::string& token, const std::string& message,
                                const std::string& content_type = "application/json",
                                const std::string& base = base_url()) {
  return {"POST", base + "/chat",
          "{\"session\":" + json_string(token) + ",\"message\":" + json_string(message) + "}",
          {"Content-Type: " + content_type}, 60};
}

inline HttpResponse post_chat(const std::string& token, const std::string& message,
                              const std::string& content_type = "application/json",
                              const std::string& base = base_url()) {
  return http(chat_request(token, message, content_type, base));
}

inline std::string last_error(const HttpResponse& r) {
  auto events = events_of(r.body);
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->name == "error") return it->data;
  }
  return "";
}

inline bool done(const HttpResponse& r) {
  auto events = events_of(r.body);
  return !events.empty() && events.back().name == "done";
}

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_CHAT_H_
