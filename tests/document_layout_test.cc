// The document layout rules (document_layout.h), one table row per rule: the text as a
// documents row may hold it, and the blocks a reader should see, written compactly
// ("T:" title, "H:" heading, "P:" paragraph, "L:" lead [dates], "*"/"1." list items).
#define BOOST_TEST_MODULE document_layout
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "resume_chat/document_layout.h"

using namespace resume_chat;

namespace {

std::string outline(const std::vector<DocumentBlock>& blocks) {
  std::string out;
  for (const DocumentBlock& block : blocks) {
    switch (block.kind) {
      case BlockKind::kTitle: out += "T:" + block.text; break;
      case BlockKind::kHeading: out += "H:" + block.text; break;
      case BlockKind::kParagraph: out += "P:" + block.text; break;
      case BlockKind::kLead: out += "L:" + block.text; break;
      case BlockKind::kList:
        for (size_t i = 0; i < block.items.size(); ++i) {
          out += (i ? "\n" : "") + std::string(block.ordered ? "1." : "*") + block.items[i];
        }
        break;
    }
    if (!block.dates.empty()) out += " [" + block.dates + "]";
    out += "\n";
  }
  return out;
}

struct Case {
  const char* rule;
  const char* text;
  const char* blocks;
};

// Each text starts with a title line, as documents do, so the rule under test is not the
// title rule.
const Case kCases[] = {
    {"soft-wrapped lines join into one paragraph",
     "Name\n\nBackend engineer with six years of experience building services in C++ and in\n"
     "Go, most recently a payments ledger that handles a great deal of traffic every\n"
     "day.\n",
     "T:Name\nP:Backend engineer with six years of experience building services in C++ and in "
     "Go, most recently a payments ledger that handles a great deal of traffic every day.\n"},
    {"a line that continues its sentence in lower case joins, however short",
     "Name\nRouted 65,000 events per second to\ncare-team devices with a p99 of 40 ms.\n",
     "T:Name\nP:Routed 65,000 events per second to care-team devices with a p99 of 40 ms.\n"},
    {"a word hyphenated at the line end is whole again",
     "Name\nWe want someone who has built alerting systems for care-\nteams and hospitals across the US.\n",
     "T:Name\nP:We want someone who has built alerting systems for care-teams and hospitals across the US.\n"},
    {"a blank line ends a paragraph",
     "Name\n\nFirst paragraph, which is long enough to have wrapped onto the next\nline here.\n\n"
     "Second one.\n",
     "T:Name\nP:First paragraph, which is long enough to have wrapped onto the next line here.\n"
     "P:Second one.\n"},
    {"text with one line per paragraph (a DOCX) keeps every break",
     "Name\nLed the ledger rewrite across four teams and two quarters of work.\n"
     "Cut p99 latency by 80% on the busiest endpoints of the whole platform.\n",
     "T:Name\nP:Led the ledger rewrite across four teams and two quarters of work.\n"
     "P:Cut p99 latency by 80% on the busiest endpoints of the whole platform.\n"},
    {"short all-caps lines are headings, even inside wrapped text",
     "Name\nSUMMARY\nBackend engineer who builds high-throughput services in C++ and Go for\n"
     "payments.\nEXPERIENCE\nNorthwind Payments\n",
     "T:Name\nH:SUMMARY\nP:Backend engineer who builds high-throughput services in C++ and Go for payments.\n"
     "H:EXPERIENCE\nP:Northwind Payments\n"},
    {"Markdown headings are headings",
     "# Jordan Rivera\n\n## Experience\n\nBuilt things.\n",
     "T:Jordan Rivera\nH:Experience\nP:Built things.\n"},
    {"a short line that introduces a section is a heading",
     "Name\n\nAbout the role\nWe are hiring.\n\nWhat you will do\n- Design services.\n",
     "T:Name\nH:About the role\nP:We are hiring.\nH:What you will do\n*Design services.\n"},
    {"a job line (commas, dates) is not a heading; before a list it leads it",
     "Name\n\nStaff SRE, Bluebonnet Payments (2019 - present)\n- Cut error budget burn.\n",
     "T:Name\nL:Staff SRE, Bluebonnet Payments (2019 - present)\n*Cut error budget burn.\n"},
    {"bullets of every kind are list items",
     "Name\n- dash\n* star\n\xE2\x80\xA2 dot\n\xE2\x80\xA2glued\n\xE2\x96\xAA square\n\xE2\x80\x93 en dash\n",
     "T:Name\n*dash\n*star\n*dot\n*glued\n*square\n*en dash\n"},
    {"numbered items are an ordered list",
     "Name\n1. First step\n2) Second step\n",
     "T:Name\n1.First step\n1.Second step\n"},
    {"an indented line continues its bullet's item",
     "Name\n- Rebuilt the ledger write path (batched PostgreSQL writes);\n  throughput grew 4x.\n"
     "- Mentored four engineers.\n",
     "T:Name\n*Rebuilt the ledger write path (batched PostgreSQL writes); throughput grew 4x.\n"
     "*Mentored four engineers.\n"},
    {"a wrapped item goes on in lower case without an indent",
     "Name\n\xE2\x80\xA2 Designed the alert fan-out service that routes events to care-team\n"
     "devices with a p99 of 40 ms.\n",
     "T:Name\n*Designed the alert fan-out service that routes events to care-team devices with a p99 of 40 ms.\n"},
    {"after a finished item, an unindented line is a new block",
     "Name\n  * Built the capacity model the company plans its hardware with, each quarter.\n"
     "SRE, Lonestar Bank (2014 - 2019)\n  * Ran the PostgreSQL fleet and upgraded every one of its clusters.\n",
     "T:Name\n*Built the capacity model the company plans its hardware with, each quarter.\n"
     "L:SRE, Lonestar Bank (2014 - 2019)\n*Ran the PostgreSQL fleet and upgraded every one of its clusters.\n"},
    {"a line of dates stays with the line before it",
     "Name\nSenior Platform Engineer, Meridian Care\n2021 \xE2\x80\x93 present\nDesigned things.\n",
     "T:Name\nL:Senior Platform Engineer, Meridian Care [2021 \xE2\x80\x93 present]\nP:Designed things.\n"},
    {"the first short line is the title; a long one is a paragraph",
     "This first line is far too long to be the name of a candidate or of a role, surely.\nNext.\n",
     "P:This first line is far too long to be the name of a candidate or of a role, surely.\nP:Next.\n"},
    {"a form feed (a PDF page break) ends a paragraph; CRLF and tabs are plain breaks and spaces",
     "Name\r\nFirst\tpage text.\fSecond page.\r\n",
     "T:Name\nP:First page text.\nP:Second page.\n"},
    {"invalid UTF-8 and control characters are shown, not dropped",
     "Name\nA\x01" "B \xFF end\n",
     "T:Name\nP:A B \xEF\xBF\xBD end\n"},
    {"empty text has no blocks", "", ""},
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_layout_rules) {
  for (const Case& c : kCases) {
    BOOST_TEST_CONTEXT(c.rule) { BOOST_TEST(outline(layout_document(c.text)) == c.blocks); }
  }
}

BOOST_AUTO_TEST_CASE(html_escapes_every_piece_of_text) {
  std::string html = document_html(layout_document(
      "R&D <Team>\n\nSKILLS\n- <script>x</script>\nLead \"q\"\n2020 - 2021\n"));
  BOOST_TEST(html ==
             "<p class=\"doc-name\">R&amp;D &lt;Team&gt;</p><h3>SKILLS</h3><ul><li>&lt;script&gt;x&lt;/script&gt;"
             "</li></ul><p class=\"doc-lead\">Lead &quot;q&quot; <span class=\"doc-date\">2020 - 2021</span></p>");
}

BOOST_AUTO_TEST_CASE(every_word_survives_in_order) {
  const char* text =
      "Jordan Rivera\nSeattle, WA\n\nSUMMARY\nBackend engineer with 6 years of experience in C++ and\n"
      "Go.\n- one\n  two\n1. three\nAbout the role\nfour\n2021 - present\n";
  std::string words, flat;
  for (const char* p = text; *p; ++p) words += (*p == '\n' ? ' ' : *p);
  for (const DocumentBlock& block : layout_document(text)) {
    flat += block.text + " " + block.dates + " ";
    for (const std::string& item : block.items) flat += item + " ";
  }
  auto squash = [](std::string s) {
    std::string out;
    for (char c : s) {
      if (c != ' ') out += c;
    }
    return out;
  };
  // Markers aside ("- ", "1. "), the same characters in the same order.
  std::string expected = squash(words);
  for (const char* marker : {"-one", "1.three"}) {
    expected.replace(expected.find(marker), std::string(marker).size(), std::string(marker).substr(marker[0] == '-' ? 1 : 2));
  }
  BOOST_TEST(squash(flat) == expected);
}

BOOST_AUTO_TEST_CASE(the_title_of_a_document) {
  BOOST_TEST(document_title("\n\n  Jordan Rivera  \nSeattle") == "Jordan Rivera");
  BOOST_TEST(document_title("# Staff Engineer\n") == "Staff Engineer");
  BOOST_TEST(document_title("- a bullet first\n") == "");
  BOOST_TEST(document_title(std::string(81, 'x')) == "");
  BOOST_TEST(document_title("2024\n") == "");
  BOOST_TEST(document_title("") == "");
  BOOST_TEST(document_title("Jo\xFF") == "Jo\xEF\xBF\xBD");
}
