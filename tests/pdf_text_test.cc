// PDF: the text layer page by page, and the statuses of scans, encryption and damage, on
// real files written by tests/documents/make-fixtures.
#define BOOST_TEST_MODULE pdf_text
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "resume_chat/pdf_text.h"
#include "support/fixtures.h"

using namespace resume_chat;

namespace {

PdfText of(const std::string& name) {
  std::ifstream file(test_support::fixture(name), std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return pdf_text(bytes.str());
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
