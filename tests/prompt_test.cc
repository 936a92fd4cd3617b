// The prompt template's cache: read on first use and kept (an edit needs a restart), a failed
// read retried on the next call; values that look like tags stay text. Rendering itself and
// the public path are in page_test.cc.
#define BOOST_TEST_MODULE prompt
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <fstream>

#include "resume_chat/mustache.h"
#include "resume_chat/prompt.h"
#include "support/escape_policy.h"

using namespace resume_chat;

namespace {
std::string temp_path() {
  char path[] = "/tmp/resume_chat_prompt_test.XXXXXX";
  const int fd = mkstemp(path);
  BOOST_REQUIRE(fd >= 0);
  close(fd);
  unlink(path);
  return path;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_template_is_read_once_and_cached) {
  const std::string path = temp_path();
  std::ofstream(path) << "A {{resume}} / {{jd}}";
  PromptTemplate prompt(path);
  BOOST_TEST(*prompt.render("r", "j") == "A r / j");
  std::ofstream(path) << "B {{resume}}";
  BOOST_TEST(*prompt.render("r2", "j2") == "A r2 / j2");  // the cached text, new values
  unlink(path.c_str());
  BOOST_TEST(!prompt.exists());
  BOOST_TEST(*prompt.render("r3", "j3") == "A r3 / j3");  // still cached
}

BOOST_AUTO_TEST_CASE(a_failed_read_is_retried_on_the_next_call) {
  const std::string path = temp_path();
  PromptTemplate prompt(path);
  BOOST_TEST(!prompt.exists());
  BOOST_TEST(!prompt.render("r", "j"));
  std::ofstream(path) << "now {{resume}}";
  BOOST_TEST(prompt.exists());
  BOOST_TEST(*prompt.render("here", "") == "now here");
  unlink(path.c_str());
}

BOOST_AUTO_TEST_CASE(the_values_are_not_templates) {
  const std::string path = temp_path();
  std::ofstream(path) << "{{resume}}|{{jd}}";
  PromptTemplate prompt(path);
  BOOST_TEST(*prompt.render("{{jd}}", "{{{resume}}}") == "{{jd}}|{{{resume}}}");
  unlink(path.c_str());
}
