// Document text: every format and refusal on real files (tests/documents/make-fixtures),
// recognition by content rather than name, and whitespace normalisation.
#define BOOST_TEST_MODULE document_text
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/document_text.h"
#include "resume_chat/utf8.h"
#include "support/fixtures.h"

using namespace resume_chat;
using test_support::fixture;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

ExtractedText from(const std::string& name) { return extract_text_file(fixture(name)); }

void expect_refused(const std::string& name, const std::string& reason_part) {
  ExtractedText result = from(name);
  BOOST_TEST(!result.ok, name);
  BOOST_TEST(result.text.empty(), name);
  BOOST_TEST(contains(result.reason, reason_part), name << ": " << result.reason);
}

}  // namespace

BOOST_AUTO_TEST_CASE(pdf_text_layer_in_reading_order) {
  ExtractedText result = from("resume.pdf");
  BOOST_REQUIRE(result.ok);
  BOOST_TEST((result.format == DocumentFormat::kPdf));
  BOOST_TEST(result.text ==
             "Renée Fixture\nSenior Site Reliability Engineer\nExperience: Acme Corp (2019 - 2024)\n"
             "\nSkills: C++17, PostgreSQL, nginx\nLanguages: English, Français");
}

BOOST_AUTO_TEST_CASE(docx_paragraphs_in_reading_order) {
  ExtractedText result = from("resume.docx");
  BOOST_REQUIRE(result.ok);
  BOOST_TEST((result.format == DocumentFormat::kDocx));
  BOOST_TEST(result.text ==
             "Jane Docx\nStaff Engineer & Mentor\n\n- Led the ledger rewrite\n"
             "- Cut p99 latency by 80%\nTools: C++\nand Go\nKept words\nBox text\nCell one\n"
             "Cell two\nZürich — 2024");
}

BOOST_AUTO_TEST_CASE(markdown_is_kept_with_whitespace_normalised) {
  ExtractedText result = from("notes.md");
  BOOST_REQUIRE(result.ok);
  BOOST_TEST((result.format == DocumentFormat::kText));
  BOOST_TEST(result.text == "# Job: Platform Engineer\n\nWe need:\n- **PostgreSQL** tuning\n"
                            "- nginx\n\n    indented code");
}

BOOST_AUTO_TEST_CASE(the_content_decides_not_the_name) {
  ExtractedText result = from("pdf-named.txt");
  BOOST_REQUIRE(result.ok);
  BOOST_TEST((result.format == DocumentFormat::kPdf));
  BOOST_TEST(result.text == from("resume.pdf").text);
  expect_refused("folder.pdf", "directory");
}

BOOST_AUTO_TEST_CASE(a_utf8_bom_is_dropped) {
  ExtractedText result = from("bom.txt");
  BOOST_REQUIRE(result.ok);
  BOOST_TEST(result.text == "Année 2024");
}

BOOST_AUTO_TEST_CASE(scans_images_and_other_formats_are_refused_with_the_reason) {
  expect_refused("scanned.pdf", "no text layer (scanned? run OCR first");
  expect_refused("photo.png", "an image (PNG)");
  expect_refused("photo.jpg", "an image (JPEG)");
  expect_refused("encrypted.pdf", "encrypted");
  expect_refused("owner-locked.pdf", "encrypted");
  expect_refused("broken.pdf", "cannot be read");
  expect_refused("old.doc", "old Word (.doc)");
  expect_refused("letter.odt", "OpenDocument text (ODT)");
  expect_refused("archive.zip", "ZIP archive, not a Word document");
  expect_refused("binary.bin", "binary data");
  expect_refused("latin1.txt", "not UTF-8");
}

BOOST_AUTO_TEST_CASE(empty_missing_and_huge_files_are_refused) {
  expect_refused("empty.txt", "empty");
  expect_refused("blank.txt", "no text");
  expect_refused("empty.docx", "no text");
  expect_refused("no-such-file.pdf", "no such file");
  expect_refused("huge.txt", "larger than 20 MB");
}

BOOST_AUTO_TEST_CASE(too_much_text_is_refused) {
  std::string text(kMaxDocumentTextChars + 1, 'a');
  ExtractedText result = extract_text(text);
  BOOST_TEST(!result.ok);
  BOOST_TEST(contains(result.reason, "more than the 200000"));
  BOOST_TEST(extract_text(text.substr(1)).ok);
}

BOOST_AUTO_TEST_CASE(normalisation_table) {
  const std::pair<std::string, std::string> cases[] = {
      {"a\r\nb\rc", "a\nb\nc"},
      {"  lead  and   inner\t\ttabs  ", "  lead and inner tabs"},
      {"one\n\n\n\n\ntwo", "one\n\ntwo"},
      {"\n\n  \ntext\n \n", "text"},
      {"page one\fpage two", "page one\n\npage two"},
      {"nb\xC2\xA0space and\xE2\x80\x83" "em", "nb space and em"},
      {"bell\x07 and nul-free\x1B", "bell and nul-free"},
      {"c1\xC2\x85next", "c1\nnext"},
      {"\xEF\xBB\xBFzero\xEF\xBB\xBFwidth", "zerowidth"},
      {"para\xE2\x80\xA9next", "para\n\nnext"},
  };
  for (const auto& [input, expected] : cases) {
    BOOST_TEST(normalize_text(input) == expected, "input: " << input);
  }
}

BOOST_AUTO_TEST_CASE(extracted_text_is_always_valid_utf8) {
  BOOST_TEST(sanitize_utf8("ok\xFF\xC3(") == "ok\xEF\xBF\xBD\xEF\xBF\xBD(");
  for (const char* name : {"resume.pdf", "resume.docx", "notes.md"}) {
    BOOST_TEST(is_valid_utf8(from(name).text), name);
  }
}
