// Which names can be a documents.name, and which `documents put` may store. The table's SQL
// runs for real in tests/ops/ops-test.
#define BOOST_TEST_MODULE document_admin
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/document_admin.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(names) {
  BOOST_TEST(document_name_problem("jane-doe") == "");
  BOOST_TEST(document_name_problem("Renée O'Brien & co / 2026") == "");
  BOOST_TEST(document_name_problem(std::string(255, 'a')) == "");
  std::string accented;
  for (int i = 0; i < 255; ++i) accented += "é";
  BOOST_TEST(document_name_problem(accented) == "");  // characters, not bytes
  BOOST_TEST(document_name_problem("") == "NAME is empty");
  BOOST_TEST(document_name_problem(std::string(256, 'a')) ==
             "NAME has 256 characters, more than the 255 of documents.name");
  BOOST_TEST(document_name_problem("bad\xFF") == "NAME is not valid UTF-8");
  BOOST_TEST(document_name_problem("tab\there") ==
             "NAME has U+0009 CHARACTER TABULATION (a control character) at character 4 of 8: "
             "a name must be visible text");
  BOOST_TEST(document_name_problem("line\nbreak") ==
             "NAME has U+000A LINE FEED (a control character) at character 5 of 10: a name must "
             "be visible text");
  // A name another application stored can still be looked up (for `link`).
  BOOST_TEST(document_name_problem("jane\xE2\x80\xAE" "fdp.exe") == "");
}

BOOST_AUTO_TEST_CASE(a_new_name_is_visible_text) {
  for (const char* fine : {"jane-doe", "Renée O'Brien & co / 2026", "名前 テスト", "שלום-cv",
                           "jane doe\xC2\xA0(nbsp)", "emoji 🙂"}) {
    BOOST_TEST(new_document_name_problem(fine) == "", fine);
  }
  const std::pair<std::string, std::string> refused[] = {
      {"jane\xE2\x80\xAE" "fdp.exe", "U+202E RIGHT-TO-LEFT OVERRIDE (a bidi control) at character 5 of 12"},
      {"a\xE2\x81\xA6" "b\xE2\x81\xA9", "U+2066 LEFT-TO-RIGHT ISOLATE (a bidi control) at character 2 of 4"},
      {"\xE2\x80\x8F" "rtl", "U+200F RIGHT-TO-LEFT MARK (a bidi control) at character 1 of 4"},
      {"zero\xE2\x80\x8Bwidth", "U+200B ZERO WIDTH SPACE (a zero-width character) at character 5 of 10"},
      {"jo\xE2\x80\x8D" "in", "U+200D ZERO WIDTH JOINER (a zero-width character)"},
      {"\xEF\xBB\xBF" "bom", "U+FEFF ZERO WIDTH NO-BREAK SPACE (a zero-width character) at character 1"},
      {"c1\xC2\x85", "U+0085 NEXT LINE (a control character) at character 3 of 3"},
      {"csi\xC2\x9B" "31m", "U+009B CONTROL SEQUENCE INTRODUCER (a control character)"},
      {"c1\xC2\x90", "U+0090 (a control character) at character 3 of 3"},
      {"esc\x1B[2J", "U+001B ESCAPE (a control character) at character 4 of 7"},
      {"soft\xC2\xAD" "hyphen", "U+00AD SOFT HYPHEN (an invisible character)"},
      {"tag\xF3\xA0\x80\x81", "U+E0001 (an invisible character) at character 4 of 4"},
  };
  for (const auto& [name, part] : refused) {
    std::string problem = new_document_name_problem(name);
    BOOST_TEST(problem.find("NAME has " + part) == 0u, problem);
    BOOST_TEST(problem.find(": a name must be visible text") != std::string::npos, problem);
  }
  BOOST_TEST(new_document_name_problem("") == "NAME is empty");
  BOOST_TEST(new_document_name_problem(std::string(256, 'a')).find("more than the 255") != std::string::npos);
}
