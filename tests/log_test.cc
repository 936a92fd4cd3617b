// Log lines: one JSON object per line on stderr, escaped, level settable until emitted.
#define BOOST_TEST_MODULE log
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>

#include "resume_chat/log.h"

using namespace resume_chat;

namespace {

// Runs `emit` with stderr redirected to a pipe and returns what was written.
template <typename Emit>
std::string captured_stderr(Emit emit) {
  int fds[2];
  BOOST_REQUIRE(pipe(fds) == 0);
  int saved = dup(STDERR_FILENO);
  dup2(fds[1], STDERR_FILENO);
  emit();
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(json_escape_handles_quotes_backslashes_and_controls) {
  BOOST_TEST(json_escape("a\"b\\c\nd\te\x01") == "a\\\"b\\\\c\\nd\\te\\u0001");
  BOOST_TEST(json_escape("ünïcødé") == "ünïcødé");
}

BOOST_AUTO_TEST_CASE(a_line_is_one_json_object_ending_in_newline) {
  std::string line = captured_stderr([] {
    LogLine("info").add("route", "/chat").add("status", 200).add("note", "two\nlines").emit();
  });
  BOOST_TEST(line.rfind("{\"ts\":\"", 0) == 0u);
  BOOST_TEST(line.back() == '\n');
  BOOST_TEST(line.find('\n') == line.size() - 1);  // exactly one line
  BOOST_TEST(contains(line, "\"level\":\"info\",\"route\":\"/chat\",\"status\":200,"
                            "\"note\":\"two\\nlines\"}"));
}

BOOST_AUTO_TEST_CASE(the_level_can_be_raised_before_emitting) {
  std::string line = captured_stderr([] {
    LogLine log("info");
    log.add("status", 503);
    log.set_level("error");
    log.emit();
  });
  BOOST_TEST(contains(line, "\"level\":\"error\",\"status\":503}"));
}
