// JSON-lines logging to stderr.
#include "resume_chat/log.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace resume_chat {
namespace {

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t seconds = system_clock::to_time_t(now);
  long millis = static_cast<long>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return text;
}

}  // namespace

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

LogLine::LogLine(std::string_view level) : level_(level) {}

LogLine& LogLine::set_level(std::string_view level) {
  level_ = level;
  return *this;
}

LogLine& LogLine::add(std::string_view key, std::string_view value) {
  fields_ += ",\"" + json_escape(key) + "\":\"" + json_escape(value) + "\"";
  return *this;
}

LogLine& LogLine::add(std::string_view key, long long value) {
  fields_ += ",\"" + json_escape(key) + "\":" + std::to_string(value);
  return *this;
}

void LogLine::emit() {
  std::string line = "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + json_escape(level_) + "\"" +
                     fields_ + "}\n";
  // One write() per line so lines from different threads never interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

void log_event(std::string_view level, std::string_view message) {
  LogLine(level).add("msg", message).emit();
}

}  // namespace resume_chat
