// PDF: the text layer page by page, and the statuses of scans, encryption and damage, on
// real files written by tests/documents/make-fixtures; the reader's own limits (pages,
// characters, a page tree it cannot read) on those of tests/documents/make-hostile.
#define BOOST_TEST_MODULE pdf_text
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "resume_chat/pdf_text.h"
#include "support/fixtures.h"
#include "support/hostile_files.h"

using namespace resume_chat;

namespace {

std::string read(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

PdfText of(const std::string& name) { return pdf_text(read(test_support::fixture(name))); }

ReaderLimits text_limit(size_t chars) {
  ReaderLimits limits;
  limits.max_visible_chars = chars;
  return limits;
}

}  // namespace

BOOST_AUTO_TEST_CASE(pages_are_separated_by_form_feeds) {
  PdfText pdf = of("resume.pdf");
  BOOST_REQUIRE((pdf.status == PdfStatus::kOk));
  size_t feed = pdf.text.find('\f');
  BOOST_REQUIRE(feed != std::string::npos);
  BOOST_TEST(pdf.text.substr(0, feed).find("Renée Fixture") != std::string::npos);
  BOOST_TEST(pdf.text.substr(feed).find("Français") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(statuses) {
  BOOST_TEST((of("scanned.pdf").status == PdfStatus::kNoText));
  BOOST_TEST((of("encrypted.pdf").status == PdfStatus::kEncrypted));
  BOOST_TEST((of("owner-locked.pdf").status == PdfStatus::kEncrypted));
  BOOST_TEST((of("broken.pdf").status == PdfStatus::kUnreadable));
  BOOST_TEST((pdf_text("").status == PdfStatus::kUnreadable));
  BOOST_TEST((pdf_text("%PDF-1.4\n%%EOF").status == PdfStatus::kUnreadable));
}

BOOST_AUTO_TEST_CASE(the_page_count_is_checked_before_any_page_is_read) {
  PdfText pdf = pdf_text(read(test_support::hostile("pages-1000.pdf")));
  BOOST_TEST((pdf.status == PdfStatus::kTooManyPages));
  BOOST_TEST(pdf.pages == 1000);
  BOOST_TEST(pdf.pages_read == 0);
  BOOST_TEST(pdf.text.empty());
}

BOOST_AUTO_TEST_CASE(a_page_tree_poppler_rejects_is_not_a_scan) {
  PdfText pdf = pdf_text(read(test_support::hostile("page-tree.pdf")));
  BOOST_TEST((pdf.status == PdfStatus::kBrokenPageTree));
}

BOOST_AUTO_TEST_CASE(reading_stops_at_the_page_that_passes_the_character_limit) {
  std::string bytes = read(test_support::hostile("text-60-pages.pdf"));
  PdfText all = pdf_text(bytes);
  BOOST_REQUIRE((all.status == PdfStatus::kOk));
  BOOST_TEST(all.pages_read == 60);
  size_t per_page = visible_chars(all.text) / 60;
  PdfText stopped = pdf_text(bytes, text_limit(10 * per_page + per_page / 2));
  BOOST_TEST((stopped.status == PdfStatus::kTooMuchText));
  BOOST_TEST(stopped.pages == 60);
  BOOST_TEST(stopped.pages_read == 11);
  BOOST_TEST(stopped.text.empty());
  // Exactly at the limit is not past it.
  BOOST_TEST((pdf_text(bytes, text_limit(visible_chars(all.text))).status == PdfStatus::kOk));
}

BOOST_AUTO_TEST_CASE(visible_characters_are_what_normalising_keeps) {
  BOOST_TEST(visible_chars("") == 0u);
  BOOST_TEST(visible_chars("  a b\tc\n\f") == 3u);
  BOOST_TEST(visible_chars("Ren\xC3\xA9" "e \xE2\x80\x94 \xF0\x9F\x99\x82") == 7u);
  BOOST_TEST(visible_chars("\xC2\xA0\xC2\x85\xE2\x80\x83\xEF\xBB\xBF\xE3\x80\x80") == 0u);
}
