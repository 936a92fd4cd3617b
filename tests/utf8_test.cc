// UTF-8 validation against Unicode Table 3-7 (boundaries, overlongs, surrogates, past
// U+10FFFF, truncation), code point counts, and U+FFFD replacement.
#define BOOST_TEST_MODULE utf8
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <vector>

#include "resume_chat/utf8.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(well_formed_sequences_at_each_boundary_pass) {
  for (const char* ok : {"", "ascii", "\x7F", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF",
                         "\xEE\x80\x80", "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF",
                         "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"}) {
    BOOST_TEST(is_valid_utf8(ok), ok);
  }
  BOOST_TEST(is_valid_utf8(std::string_view("a\0b", 3)));  // NUL is valid UTF-8
}

BOOST_AUTO_TEST_CASE(ill_formed_sequences_fail) {
  for (const char* bad : {"\x80",               // a lone continuation byte
                          "\xC0\xAF", "\xC1\xBF",  // overlong two-byte forms
                          "\xE0\x80\xAF",       // overlong three-byte form
                          "\xED\xA0\x80",       // a UTF-16 surrogate (U+D800)
                          "\xF0\x80\x80\xAF",   // overlong four-byte form
                          "\xF4\x90\x80\x80",   // past U+10FFFF
                          "\xF5\x80\x80\x80", "\xFF", "\xFE",
                          "\xC3", "\xE2\x82", "\xF0\x9F\x98",  // cut short
                          "\xC3\x28"}) {          // a continuation that is not one
    BOOST_TEST(!is_valid_utf8(bad), bad);
  }
}

BOOST_AUTO_TEST_CASE(length_counts_code_points) {
  BOOST_TEST(utf8_length("") == 0u);
  BOOST_TEST(utf8_length("abc") == 3u);
  BOOST_TEST(utf8_length("h\xC3\xA9") == 2u);
  BOOST_TEST(utf8_length("\xE2\x82\xAC\xF0\x9F\x98\x80") == 2u);
}

BOOST_AUTO_TEST_CASE(sanitize_replaces_each_bad_byte_and_keeps_the_rest) {
  BOOST_TEST(sanitize_utf8("fine \xC3\xA9") == "fine \xC3\xA9");
  BOOST_TEST(sanitize_utf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  BOOST_TEST(sanitize_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  BOOST_TEST(sanitize_utf8("end\xE2\x82") == "end\xEF\xBF\xBD\xEF\xBF\xBD");
  for (const char* input : {"\xC0\xAF", "x\xF4\x90\x80\x80y", "\x80\x80"}) {
    BOOST_TEST(is_valid_utf8(sanitize_utf8(input)), input);
  }
}

// One decoder and one rule for invisible characters serve the page, transcripts, names and
// the readers alike.
BOOST_AUTO_TEST_CASE(code_points_and_what_counts_as_invisible) {
  const std::string text = "a\xC3\xA9\xE2\x80\xAE\xF0\x9F\x98\x80";  // a é U+202E 😀
  size_t i = 0;
  std::vector<char32_t> points;
  while (i < text.size()) points.push_back(next_code_point(text, i));
  BOOST_TEST((points == std::vector<char32_t>{'a', 0xE9, 0x202E, 0x1F600}));
  BOOST_TEST(std::string(invisible_char(0x202E).kind) == "a bidi control");
  BOOST_TEST(std::string(invisible_char(0x202E).name) == "RIGHT-TO-LEFT OVERRIDE");
  BOOST_TEST(std::string(invisible_char(0x200B).kind) == "a zero-width character");
  BOOST_TEST(std::string(invisible_char(0xAD).kind) == "an invisible character");
  BOOST_TEST(*invisible_char('a').kind == '\0');
  BOOST_TEST(*invisible_char(0xE9).kind == '\0');
  // What `documents put` refuses in a name is what a transcript and the page show escaped.
  BOOST_TEST(escape_invisible("soft\xC2\xADhyphen\n\tkept") == "soft\\u00ADhyphen\n\tkept");
}
