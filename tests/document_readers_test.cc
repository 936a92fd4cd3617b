// The readers library loaded as `documents put` loads it: found beside the binary (here one
// directory up, build/), loaded once, and its PDF and DOCX readers the same as the linked
// ones on real files (tests/documents/make-fixtures).
#define BOOST_TEST_MODULE document_readers
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "resume_chat/document_readers.h"
#include "resume_chat/docx_text.h"
#include "resume_chat/pdf_text.h"
#include "support/fixtures.h"

using namespace resume_chat;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_library_is_found_and_loaded_once) {
  std::string error;
  const DocumentReaders* readers = document_readers(error);
  BOOST_REQUIRE_MESSAGE(readers != nullptr, error);
  BOOST_TEST(error.empty());
  BOOST_TEST(readers->pdf != nullptr);
  BOOST_TEST(readers->docx != nullptr);
  BOOST_TEST(document_readers(error) == readers);
}

BOOST_AUTO_TEST_CASE(the_loaded_readers_read_real_files) {
  std::string error;
  const DocumentReaders* readers = document_readers(error);
  BOOST_REQUIRE(readers != nullptr);
  PdfText pdf = readers->pdf(read(test_support::fixture("resume.pdf")), ReaderLimits{});
  BOOST_TEST((pdf.status == PdfStatus::kOk));
  BOOST_TEST(pdf.pages > 0);
  BOOST_TEST(!pdf.text.empty());
  DocxText docx = readers->docx(read(test_support::fixture("resume.docx")), ReaderLimits{});
  BOOST_TEST((docx.status == DocxStatus::kOk));
  BOOST_TEST(!docx.text.empty());
  BOOST_TEST((readers->pdf("not a pdf", ReaderLimits{}).status == PdfStatus::kUnreadable));
  BOOST_TEST((readers->docx("not a zip", ReaderLimits{}).status == DocxStatus::kCorrupt));
}

BOOST_AUTO_TEST_CASE(linked_readers_replace_the_loaded_ones) {
  static const DocumentReaders fake{[](std::string_view, const ReaderLimits&) { return PdfText{}; },
                                    [](std::string_view, const ReaderLimits&) { return DocxText{}; }};
  std::string error;
  const DocumentReaders* loaded = document_readers(error);
  use_linked_document_readers(&fake);
  BOOST_TEST(document_readers(error) == &fake);
  use_linked_document_readers(loaded);
  BOOST_TEST(document_readers(error) == loaded);
}
