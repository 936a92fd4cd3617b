// visible_chars: the count the readers stop on never exceeds the normalised text's length:
// whitespace (ASCII and Unicode), controls and the BOM do not count; everything else does,
// whatever its encoded length.
#define BOOST_TEST_MODULE reader_limits
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/reader_limits.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(letters_of_every_length_count_once) {
  BOOST_TEST(visible_chars("") == 0u);
  BOOST_TEST(visible_chars("abc") == 3u);
  BOOST_TEST(visible_chars("h\xC3\xA9") == 2u);              // é: two bytes
  BOOST_TEST(visible_chars("\xE2\x82\xAC\xE4\xB8\xAD") == 2u);  // € 中: three bytes each
  BOOST_TEST(visible_chars("\xF0\x9F\x98\x80") == 1u);       // an emoji: four bytes
}

BOOST_AUTO_TEST_CASE(whitespace_controls_and_the_bom_do_not_count) {
  BOOST_TEST(visible_chars(" \t\r\n\v\f") == 0u);
  BOOST_TEST(visible_chars(std::string_view("\0\x01\x1F\x7F", 4)) == 0u);
  BOOST_TEST(visible_chars("\xC2\xA0") == 0u);          // no-break space
  BOOST_TEST(visible_chars("\xC2\x85") == 0u);          // NEL (a C1 control)
  BOOST_TEST(visible_chars("\xE2\x80\x83\xE2\x80\xA8\xE2\x80\xAF\xE3\x80\x80") == 0u);  // em space, LS, NNBSP, ideographic space
  BOOST_TEST(visible_chars("\xEF\xBB\xBF") == 0u);      // BOM
  BOOST_TEST(visible_chars(" a \xC2\xA0 b\n") == 2u);
}

BOOST_AUTO_TEST_CASE(defaults_stop_nothing_but_pages_and_parts) {
  ReaderLimits limits;
  BOOST_TEST(limits.max_visible_chars == SIZE_MAX);
  BOOST_TEST(limits.max_pdf_pages == 100);
  BOOST_TEST(limits.max_docx_part_bytes == 8u * 1024 * 1024);
}
