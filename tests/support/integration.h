// Test support for the integration suites (tests/integration_*_test.cc): the worker's log,
// the project's directory, and what every error page and response must carry.
#ifndef RESUME_CHAT_TESTS_SUPPORT_INTEGRATION_H_
#define RESUME_CHAT_TESTS_SUPPORT_INTEGRATION_H_

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/chat.h"
#include "support/http.h"
#include "support/stack.h"

namespace test_support {

inline std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The first line of the worker's log holding all of `needles`, waiting up to `timeout`: a
// request's line is written as it ends, which can be just after its client read the response.
inline std::string worker_log_line(const std::vector<std::string>& needles,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    std::istringstream log(read_file(env("STACK_DIR") + "/worker.log"));
    for (std::string line; std::getline(log, line);) {
      if (std::all_of(needles.begin(), needles.end(),
                      [&](const std::string& needle) { return contains(line, needle); })) {
        return line;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return "";
}

inline std::string root_dir() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) ? buf : ".";
}

// An error page is one card: the seed's text, what to do, and no chat or documents.
inline void expect_error_state(const HttpResponse& r, long status, const std::string& escaped_text) {
  BOOST_TEST(r.status == status);
  BOOST_TEST(contains(r.body, escaped_text), "missing: " << escaped_text);
  BOOST_TEST(contains(r.body, "data-ready=\"false\""));
  BOOST_TEST(contains(r.body, "<p class=\"advice\">"));
  BOOST_TEST(!contains(r.body, "role=\"alert\" hidden"));
  for (const char* absent : {"id=\"chat\"", "id=\"message\"", "data-starter", "id=\"resume\""}) {
    BOOST_TEST(!contains(r.body, absent), absent);
  }
}

// The headers nginx/security-headers.conf.in puts on every response (`what` names it).
inline void expect_security_headers(const HttpResponse& r, const std::string& what) {
  const std::string csp = r.header("content-security-policy");
  BOOST_TEST(contains(csp, "default-src 'none'; script-src 'self';"), what << ": CSP '" << csp << "'");
  BOOST_TEST(contains(csp, "frame-ancestors 'self'"), what << ": CSP '" << csp << "'");
  BOOST_TEST(!contains(csp, "*.hf.space"), what);
  BOOST_TEST(r.header("x-content-type-options") == "nosniff", what);
  BOOST_TEST(r.header("referrer-policy") == "no-referrer", what);
}

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_INTEGRATION_H_
