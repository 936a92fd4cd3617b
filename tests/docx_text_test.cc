// DOCX: the main part's paragraphs (lists, tabs, breaks, tables, text boxes once, deleted
// text and field codes left out), the package's content types, and damaged archives; the
// reader's limits on the files of tests/documents/make-hostile (a zip bomb, 63 MB of <a/>,
// &#0;, an undeclared entity, a DOCTYPE, too much text), streamed without a DOM.
#define BOOST_TEST_MODULE docx_text
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <sstream>

#include "resume_chat/docx_text.h"
#include <sys/resource.h>

#include "support/fixtures.h"
#include "support/hostile_files.h"

using namespace resume_chat;

namespace {

const std::string kOpen =
    "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "
    "xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\"><w:body>";
const std::string kClose = "</w:body></w:document>";

std::string paragraphs(const std::string& body) {
  DocxText docx = docx_paragraphs(kOpen + body + kClose);
  BOOST_REQUIRE((docx.status == DocxStatus::kOk));
  return docx.text;
}

std::string read(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_line_per_paragraph_with_runs_joined) {
  BOOST_TEST(paragraphs("<w:p><w:r><w:t>Hel</w:t></w:r><w:r><w:t>lo</w:t></w:r></w:p>"
                        "<w:p/><w:p><w:r><w:t>World</w:t></w:r></w:p>") == "Hello\n\nWorld\n");
}

BOOST_AUTO_TEST_CASE(preserved_spaces_tabs_breaks_and_hyphens) {
  BOOST_TEST(paragraphs("<w:p><w:r><w:t>a</w:t><w:t xml:space=\"preserve\"> </w:t><w:t>b</w:t>"
                        "<w:tab/><w:t>c</w:t><w:br/><w:t>d</w:t><w:noBreakHyphen/><w:t>e</w:t>"
                        "</w:r></w:p>") == "a b\tc\nd-e\n");
}

BOOST_AUTO_TEST_CASE(list_items_are_marked_by_level) {
  BOOST_TEST(paragraphs("<w:p><w:pPr><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"3\"/>"
                        "</w:numPr></w:pPr><w:r><w:t>top</w:t></w:r></w:p>"
                        "<w:p><w:pPr><w:numPr><w:ilvl w:val=\"1\"/><w:numId w:val=\"3\"/>"
                        "</w:numPr></w:pPr><w:r><w:t>nested</w:t></w:r></w:p>"
                        "<w:p><w:pPr><w:numPr><w:numId w:val=\"0\"/></w:numPr></w:pPr>"
                        "<w:r><w:t>numbering removed</w:t></w:r></w:p>") ==
             "- top\n  - nested\nnumbering removed\n");
}

BOOST_AUTO_TEST_CASE(deleted_text_field_codes_and_fallbacks_are_left_out) {
  BOOST_TEST(paragraphs("<w:p><w:del><w:r><w:delText>gone</w:delText></w:r></w:del>"
                        "<w:r><w:instrText>PAGE</w:instrText></w:r><w:r><w:t>kept</w:t></w:r>"
                        "</w:p><w:p><w:r><mc:AlternateContent><mc:Choice><w:p><w:r><w:t>box"
                        "</w:t></w:r></w:p></mc:Choice><mc:Fallback><w:p><w:r><w:t>box</w:t>"
                        "</w:r></w:p></mc:Fallback></mc:AlternateContent></w:r></w:p>") ==
             "kept\nbox\n");
}

BOOST_AUTO_TEST_CASE(table_cells_in_reading_order) {
  BOOST_TEST(paragraphs("<w:tbl><w:tr><w:tc><w:p><w:r><w:t>r1c1</w:t></w:r></w:p></w:tc>"
                        "<w:tc><w:p><w:r><w:t>r1c2</w:t></w:r></w:p></w:tc></w:tr>"
                        "<w:tr><w:tc><w:p><w:r><w:t>r2c1</w:t></w:r></w:p></w:tc></w:tr></w:tbl>") ==
             "r1c1\nr1c2\nr2c1\n");
}

BOOST_AUTO_TEST_CASE(any_namespace_prefix_and_entities) {
  DocxText docx = docx_paragraphs(
      "<x:document xmlns:x=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
      "<x:body><x:p><x:r><x:t>R&amp;D &lt;team&gt; &#x263A;&#65;</x:t></x:r></x:p></x:body></x:document>");
  BOOST_REQUIRE((docx.status == DocxStatus::kOk));
  BOOST_TEST(docx.text == "R&D <team> \u263A" "A\n");
}

BOOST_AUTO_TEST_CASE(deep_nesting_does_not_exhaust_the_stack) {
  std::string xml = kOpen;
  for (int i = 0; i < 200000; ++i) xml += "<w:sdt>";
  xml += "<w:p><w:r><w:t>deep</w:t></w:r></w:p>";
  for (int i = 0; i < 200000; ++i) xml += "</w:sdt>";
  DocxText docx = docx_paragraphs(xml + kClose);
  BOOST_REQUIRE((docx.status == DocxStatus::kOk));
  BOOST_TEST(docx.text == "deep\n");
}

BOOST_AUTO_TEST_CASE(broken_xml_is_not_text) {
  DocxText docx = docx_paragraphs("<w:document><w:body><w:p>");
  BOOST_TEST((docx.status == DocxStatus::kInvalidXml));
  BOOST_TEST(docx.detail.find("invalid XML (") == 0u, docx.detail);
}

BOOST_AUTO_TEST_CASE(archives_by_their_content_types) {
  DocxText word = docx_text(read(test_support::fixture("resume.docx")));
  BOOST_TEST((word.status == DocxStatus::kOk));
  BOOST_TEST(word.text.find("Jane Docx") == 0u);
  DocxText odt = docx_text(read(test_support::fixture("letter.odt")));
  BOOST_TEST((odt.status == DocxStatus::kNotWord));
  BOOST_TEST(odt.detail.find("ODT") != std::string::npos);
  BOOST_TEST((docx_text(read(test_support::fixture("archive.zip"))).status == DocxStatus::kNotWord));
  std::string truncated = read(test_support::fixture("resume.docx"));
  truncated.resize(truncated.size() / 2);
  BOOST_TEST((docx_text(truncated).status == DocxStatus::kCorrupt));
  BOOST_TEST((docx_text("PK\x03\x04 not really").status == DocxStatus::kCorrupt));
}

namespace {

DocxText hostile(const std::string& name, const ReaderLimits& limits = {}) {
  std::string bytes = read(test_support::hostile(name));
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  auto start = std::chrono::steady_clock::now();
  DocxText docx = docx_text(bytes, limits);
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  BOOST_TEST_MESSAGE(name << ": "
                          << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
                          << " s, this process's peak RSS " << after.ru_maxrss / 1024 << " MB (was "
                          << before.ru_maxrss / 1024 << " MB)");
  return docx;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_part_inflating_past_the_cap_is_too_large) {
  BOOST_TEST((hostile("tags-63mb.docx").status == DocxStatus::kTooLarge));
  BOOST_TEST((hostile("bomb-3gb.docx").status == DocxStatus::kTooLarge));
  ReaderLimits roomy;
  roomy.max_docx_part_bytes = 64u * 1024 * 1024;
  DocxText tags = hostile("tags-63mb.docx", roomy);  // streamed: no DOM of 16 million elements
  BOOST_TEST((tags.status == DocxStatus::kOk));
  BOOST_TEST(tags.text == "");
}

BOOST_AUTO_TEST_CASE(xml_word_never_writes_is_refused_with_where) {
  DocxText nul = hostile("nul-ref.docx");
  BOOST_TEST((nul.status == DocxStatus::kInvalidXml));
  BOOST_TEST(nul.detail == "&#0; (a character reference XML does not allow) at line 2, column 113");
  DocxText entity = hostile("entity.docx");
  BOOST_TEST((entity.status == DocxStatus::kInvalidXml));
  BOOST_TEST(entity.detail == "an undeclared entity &eacute; at line 2, column 110");
  DocxText doctype = hostile("doctype.docx");
  BOOST_TEST((doctype.status == DocxStatus::kInvalidXml));
  BOOST_TEST(doctype.detail.find("a DOCTYPE (entity definitions) at line 2") == 0u, doctype.detail);
  DocxText inline_nul = docx_paragraphs(kOpen + "<w:p><w:r><w:t>a&#x0;b</w:t></w:r></w:p>" + kClose);
  BOOST_TEST((inline_nul.status == DocxStatus::kInvalidXml));
  BOOST_TEST(inline_nul.detail.find("&#x0;") == 0u, inline_nul.detail);
}

BOOST_AUTO_TEST_CASE(reading_stops_past_the_character_limit) {
  ReaderLimits limits;
  limits.max_visible_chars = 200000;
  BOOST_TEST((hostile("text-250k.docx", limits).status == DocxStatus::kTooMuchText));
  BOOST_TEST((hostile("text-250k.docx").status == DocxStatus::kOk));
  limits.max_visible_chars = 9;
  BOOST_TEST((docx_paragraphs(kOpen + "<w:p><w:r><w:t>123 456 789</w:t></w:r></w:p>" + kClose, limits)
                  .status == DocxStatus::kOk));
  limits.max_visible_chars = 8;
  BOOST_TEST((docx_paragraphs(kOpen + "<w:p><w:r><w:t>123 456 789</w:t></w:r></w:p>" + kClose, limits)
                  .status == DocxStatus::kTooMuchText));
}

BOOST_AUTO_TEST_CASE(a_word_document_as_word_writes_it) {
  DocxText docx = hostile("resume-styled.docx");
  BOOST_REQUIRE((docx.status == DocxStatus::kOk));
  BOOST_TEST(docx.text.find("Item 0: led the migration of billing to PostgreSQL\n"
                            "- Item 1: led the migration of billing to PostgreSQL\n") == 0u);
}
