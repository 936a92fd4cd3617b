// Test support: a recorded Messages-API stream from tests/data/streams/NAME.sse.
#ifndef RESUME_CHAT_TESTS_SUPPORT_RECORDED_H_
#define RESUME_CHAT_TESTS_SUPPORT_RECORDED_H_

#include <fstream>
#include <sstream>
#include <string>

namespace test_support {

// The stream's bytes; empty when the file is missing (the caller's check then fails).
inline std::string recorded_stream(const std::string& name) {
  std::ifstream file("tests/data/streams/" + name + ".sse", std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_RECORDED_H_
