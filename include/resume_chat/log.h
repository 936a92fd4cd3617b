// Logging: one line per event on stderr (journald, docker logs). Never pass secrets here.
#ifndef RESUME_CHAT_LOG_H_
#define RESUME_CHAT_LOG_H_

#include <string>
#include <string_view>

namespace resume_chat {

// Writes {"ts":..., "level":..., "msg":...} as one JSON line, atomically per line.
void log_event(std::string_view level, std::string_view message);

// Collects `"key":"value"` pairs (JSON-escaped by this call) for one log line; emit()
// stamps the time and writes it. A request's line is built while it runs and emitted at
// its end, so the level can still be raised when something fails.
class LogLine {
 public:
  explicit LogLine(std::string_view level);
  LogLine& set_level(std::string_view level);
  LogLine& add(std::string_view key, std::string_view value);
  LogLine& add(std::string_view key, long long value);
  void emit();

 private:
  std::string level_;
  std::string fields_;
};

// JSON string escaping (RFC 8259): quotes, backslash, control characters.
std::string json_escape(std::string_view text);

}  // namespace resume_chat

#endif  // RESUME_CHAT_LOG_H_
