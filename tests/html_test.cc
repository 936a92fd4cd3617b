// HTML escaping: the five characters that matter in content and quoted attributes, and
// nothing else touched.
#define BOOST_TEST_MODULE html
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/html.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(the_five_characters_are_escaped) {
  BOOST_TEST(html_escape("&") == "&amp;");
  BOOST_TEST(html_escape("<") == "&lt;");
  BOOST_TEST(html_escape(">") == "&gt;");
  BOOST_TEST(html_escape("\"") == "&quot;");
  BOOST_TEST(html_escape("'") == "&#39;");
}

BOOST_AUTO_TEST_CASE(markup_reads_literally_and_escaping_is_not_undone) {
  BOOST_TEST(html_escape("<script>alert('x')</script>") ==
             "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  BOOST_TEST(html_escape("&amp;") == "&amp;amp;");  // escaped again, never decoded
  BOOST_TEST(html_escape("\" onmouseover=\"x") == "&quot; onmouseover=&quot;x");
}

BOOST_AUTO_TEST_CASE(everything_else_passes_through) {
  BOOST_TEST(html_escape("").empty());
  BOOST_TEST(html_escape("plain text, 100% / \\ = ` \n\t") == "plain text, 100% / \\ = ` \n\t");
  BOOST_TEST(html_escape("h\xC3\xA9llo \xF0\x9F\x98\x80") == "h\xC3\xA9llo \xF0\x9F\x98\x80");
}
