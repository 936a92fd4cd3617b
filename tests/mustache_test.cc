// mstch with escaping chosen per call: HTML for pages, verbatim for prompts, each right even
// while another thread renders the other way at the same time; and whole-file reads.
#define BOOST_TEST_MODULE mustache
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <fstream>
#include <thread>

#include "resume_chat/mustache.h"
#include "support/escape_policy.h"

using namespace resume_chat;

namespace {
const char* const kHostile = "R&D <b>\"q\" 'x'</b>";
}  // namespace

BOOST_AUTO_TEST_CASE(html_escapes_double_braces_and_not_triple) {
  mstch::map context{{"x", std::string(kHostile)}};
  BOOST_TEST(render_html("{{x}}", context) == "R&amp;D &lt;b&gt;&quot;q&quot; &#39;x&#39;&lt;/b&gt;");
  BOOST_TEST(render_html("{{{x}}}", context) == kHostile);
}

BOOST_AUTO_TEST_CASE(verbatim_inserts_text_as_it_is) {
  mstch::map context{{"x", std::string(kHostile)}};
  BOOST_TEST(render_verbatim("[{{x}}]", context) == std::string("[") + kHostile + "]");
  BOOST_TEST(render_verbatim("{{missing}}|", context) == "|");
}

// The escape mode is per thread: two threads rendering the two ways never see each other's.
BOOST_AUTO_TEST_CASE(each_thread_keeps_its_own_mode) {
  mstch::map context{{"x", std::string("<&>")}};
  int html_wrong = 0, verbatim_wrong = 0;
  std::thread html([&] {
    for (int i = 0; i < 2000; ++i) html_wrong += render_html("{{x}}", context) != "&lt;&amp;&gt;";
  });
  std::thread verbatim([&] {
    for (int i = 0; i < 2000; ++i) verbatim_wrong += render_verbatim("{{x}}", context) != "<&>";
  });
  html.join();
  verbatim.join();
  BOOST_TEST(html_wrong == 0);
  BOOST_TEST(verbatim_wrong == 0);
}

BOOST_AUTO_TEST_CASE(files_are_read_whole_or_not_at_all) {
  char path[] = "/tmp/resume_chat_mustache_test.XXXXXX";
  const int fd = mkstemp(path);
  BOOST_REQUIRE(fd >= 0);
  close(fd);
  const std::string bytes = std::string("line\n\0binary\r\n", 14) + std::string(100000, 'z');
  std::ofstream(path, std::ios::binary) << bytes;
  auto read = read_text_file(path);
  BOOST_REQUIRE(read);
  BOOST_TEST((*read == bytes));
  unlink(path);
  BOOST_TEST(!read_text_file(path));
  BOOST_TEST(!read_text_file("/nonexistent/dir/file"));
}
