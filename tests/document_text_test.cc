// Document text: every format and refusal on real files (tests/documents/make-fixtures),
// recognition by content rather than name, and whitespace normalisation.
#define BOOST_TEST_MODULE document_text
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>
#include <memory>

#include "resume_chat/document_text.h"
#include "resume_chat/utf8.h"
#include "support/fixtures.h"
#include "support/hostile_files.h"

using namespace resume_chat;
using test_support::fixture;
using test_support::hostile;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

ExtractedText from(const std::string& name) { return extract_text_file(fixture(name)); }

// A hostile file through the real path (a child under limits); what it cost is logged.
ExtractedText read_hostile(const std::string& name, const ChildLimits& limits = {}) {
  ExtractedText result = extract_text_file(hostile(name), limits);
  BOOST_TEST_MESSAGE(name << ": " << describe_usage(result.reading) << ": "
                          << (result.ok ? "read" : result.reason));
  return result;
}

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

BOOST_AUTO_TEST_CASE(hostile_files_are_refused_saying_what_was_too_large) {
  const std::pair<const char*, const char*> cases[] = {
      {"pages-1000.pdf", "the PDF is too large: 1000 pages, more than the 100 read; print only the "
                         "pages that matter to PDF"},
      {"page-tree.pdf", "the PDF opens but could not read its page tree: it is damaged; print it "
                        "to PDF again"},
      {"text-60-pages.pdf", "it has more than the 200000 characters of text a document may have "
                            "(reading stopped at page "},
      {"tags-63mb.docx", "the Word document is too large: its text part inflates to more than 8 MB "
                         "(a resume's is well under 2 MB): save it as PDF or .txt"},
      {"bomb-3gb.docx", "the Word document is too large: its text part inflates to more than 8 MB"},
      {"nul-ref.docx", "the Word document is not as Word writes it: &#0; (a character reference "
                       "XML does not allow) at line 2, column "},
      {"entity.docx", "the Word document is not as Word writes it: an undeclared entity &eacute; "
                      "at line 2, column "},
      {"doctype.docx", "the Word document is not as Word writes it: a DOCTYPE (entity definitions) "
                       "at line 2"},
      {"text-250k.docx", "it has more than the 200000 characters of text a document may have: use "
                         "a shorter file"},
  };
  for (const auto& [name, reason] : cases) {
    ExtractedText result = read_hostile(name);
    BOOST_TEST(!result.ok, name);
    BOOST_TEST(contains(result.reason, reason), name << ": " << result.reason);
    BOOST_TEST(result.reason.find('\n') == std::string::npos);
  }
}

// The unit test lowers the CPU limit to 3 s to stay quick; tests/ops/ops-test runs these
// through the binary with the real 20 s.
BOOST_AUTO_TEST_CASE(pdfs_that_take_minutes_are_stopped_at_the_cpu_limit) {
  ChildLimits limits;
  limits.cpu_seconds = 3;
  for (const char* name : {"overlap-16mb.pdf", "contents-64.pdf"}) {
    ExtractedText result = read_hostile(name, limits);
    BOOST_TEST(!result.ok);
    BOOST_TEST(result.reason == "the PDF is too slow to read: it took more than 3 s of CPU time; "
                                "print it to PDF again, or save it as .txt", name);
  }
}

// Not in sanitizer builds: there the address space is not limited (reader_sandbox.h).
BOOST_AUTO_TEST_CASE(a_reader_out_of_memory_says_so,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       return limits_address_space();
                     })) {
  ChildLimits limits;
  limits.address_space_bytes = 96u * 1024 * 1024;
  ExtractedText result = read_hostile("overlap-16mb.pdf", limits);
  BOOST_TEST(!result.ok);
  BOOST_TEST(result.reason ==
             "the PDF is too large: reading it needed more than 96 MB of memory; print it to PDF "
             "again, or save it as .txt");
}

BOOST_AUTO_TEST_CASE(real_looking_documents_read_as_before) {
  ExtractedText pdf = read_hostile("resume-5-pages.pdf");
  BOOST_REQUIRE(pdf.ok);
  BOOST_TEST((pdf.format == DocumentFormat::kPdf));
  BOOST_TEST(pdf.text.find("Resume line 0.0: distributed systems") == 0u);
  for (int page = 1; page < 5; ++page) {  // pages apart by a blank line, every line kept
    std::string last = "Resume line " + std::to_string(page - 1) + ".39: ";
    std::string first = "\n\nResume line " + std::to_string(page) + ".0: ";
    BOOST_TEST(contains(pdf.text, first), first);
    BOOST_TEST(pdf.text.find(last) < pdf.text.find(first), last);
  }
  ExtractedText docx = read_hostile("resume-styled.docx");
  BOOST_REQUIRE(docx.ok);
  BOOST_TEST(docx.text.find("Item 0: led the migration of billing to PostgreSQL\n"
                            "- Item 1: led the migration of billing to PostgreSQL\n") == 0u);
  BOOST_TEST(contains(docx.text, "\n- Item 399: led the migration of billing to PostgreSQL"));
  // The fixtures, through the child, exactly as in the cases above.
  BOOST_TEST(from("resume.docx").text == extract_text(std::string(
      std::istreambuf_iterator<char>(*std::make_unique<std::ifstream>(fixture("resume.docx"), std::ios::binary)),
      std::istreambuf_iterator<char>())).text);
}
