// The shared text helpers: ASCII lower case, blank text, prefixes, decimal numbers.
#define BOOST_TEST_MODULE text
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/text.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(lower_changes_only_ascii_capitals) {
  BOOST_TEST(lower("Application/JSON; Charset=UTF-8") == "application/json; charset=utf-8");
  BOOST_TEST(lower("X-Should-Retry") == "x-should-retry");
  BOOST_TEST(lower("\xC3\x89t\xC3\xA9 [@`{") == "\xC3\x89t\xC3\xA9 [@`{");  // É stays É
  BOOST_TEST(lower("").empty());
}

BOOST_AUTO_TEST_CASE(blank_is_empty_or_only_whitespace) {
  BOOST_TEST(is_blank(""));
  BOOST_TEST(is_blank(" \t\r\n\v\f"));
  BOOST_TEST(!is_blank("  a  "));
  BOOST_TEST(!is_blank("\xC2\xA0"));  // a no-break space is text to the API as well
  BOOST_TEST(!is_blank(std::string_view("\0", 1)));
}

BOOST_AUTO_TEST_CASE(starts_with_compares_the_prefix_bytes) {
  BOOST_TEST(starts_with("https://api", "https://"));
  BOOST_TEST(starts_with("abc", ""));
  BOOST_TEST(starts_with("abc", "abc"));
  BOOST_TEST(!starts_with("ab", "abc"));
  BOOST_TEST(!starts_with("http://x", "https://"));
  BOOST_TEST(starts_with(std::string_view("II*\0x", 5), std::string_view("II*\0", 4)));
}

BOOST_AUTO_TEST_CASE(decimal_takes_only_bounded_ascii_digits) {
  BOOST_TEST(*parse_decimal("0", 1) == 0);
  BOOST_TEST(*parse_decimal("007", 3) == 7);
  BOOST_TEST(*parse_decimal("999999999", 9) == 999999999);
  BOOST_TEST(*parse_decimal("999999999999", 12) == 999999999999);
  BOOST_TEST(!parse_decimal("", 9));
  BOOST_TEST(!parse_decimal("1234567890", 9));
  BOOST_TEST(!parse_decimal("-1", 9));
  BOOST_TEST(!parse_decimal("+1", 9));
  BOOST_TEST(!parse_decimal(" 1", 9));
  BOOST_TEST(!parse_decimal("1 ", 9));
  BOOST_TEST(!parse_decimal("0x1", 9));
  BOOST_TEST(!parse_decimal("\xD9\xA1", 9));  // an Arabic-Indic digit is not a digit here
}

BOOST_AUTO_TEST_CASE(decimal_never_overflows) {
  BOOST_TEST(*parse_decimal("999999999999999999", 18) == 999999999999999999);
  BOOST_TEST(!parse_decimal("9999999999999999999", 19));  // 19 digits could overflow: refused
}

BOOST_AUTO_TEST_CASE(hex_is_two_lower_case_digits_a_byte) {
  BOOST_TEST(to_hex(std::string("\x00\x0f\xa5\xff", 4)) == "000fa5ff");
  BOOST_TEST(to_hex("") == "");
}
