// Query decoding: percent escapes, '+', malformed escapes, parameter lookup.
#define BOOST_TEST_MODULE url
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/url.h"
#include "resume_chat/utf8.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(decodes_escapes_and_plus) {
  BOOST_TEST(percent_decode("a%20b+c") == "a b c");
  BOOST_TEST(percent_decode("%C3%A9t%C3%A9") == "\xC3\xA9t\xC3\xA9");
  BOOST_TEST(percent_decode("%27%3B%20DROP") == "'; DROP");
}

BOOST_AUTO_TEST_CASE(encoding_keeps_only_unreserved_characters) {
  BOOST_TEST(percent_encode("aZ09-._~") == "aZ09-._~");
  BOOST_TEST(percent_encode("a b/&=?#%+é") == "a%20b%2F%26%3D%3F%23%25%2B%C3%A9");
  BOOST_TEST(percent_decode(percent_encode("x y+z&é")) == "x y+z&é");
}

BOOST_AUTO_TEST_CASE(malformed_escapes_stay_literal) {
  BOOST_TEST(percent_decode("100%") == "100%");
  BOOST_TEST(percent_decode("%zz%4") == "%zz%4");
  BOOST_TEST(percent_decode("%") == "%");
}

BOOST_AUTO_TEST_CASE(finds_the_first_named_parameter) {
  BOOST_TEST(*query_param("a=1&q=demo&q=other", "q") == "demo");
  BOOST_TEST(*query_param("q=", "q") == "");
  BOOST_TEST(*query_param("q", "q") == "");
  BOOST_TEST(*query_param("%71=encoded-name", "q") == "encoded-name");
  BOOST_TEST(!query_param("qq=1&aq=2", "q"));
  BOOST_TEST(!query_param("", "q"));
}

BOOST_AUTO_TEST_CASE(utf8_validation) {
  BOOST_TEST(is_valid_utf8("plain"));
  BOOST_TEST(is_valid_utf8("\xE6\x97\xA5\xF0\x9F\x98\x80"));
  BOOST_TEST(!is_valid_utf8("\xC0\xAF"));          // overlong '/'
  BOOST_TEST(!is_valid_utf8("\xED\xA0\x80"));      // surrogate
  BOOST_TEST(!is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  BOOST_TEST(!is_valid_utf8("\xE6\x97"));          // truncated
  BOOST_TEST(utf8_length("a\xC3\xA9\xF0\x9F\x98\x80") == 3u);
}
