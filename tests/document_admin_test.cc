// Which names can be a documents.name. The table's SQL runs for real in tests/ops/ops-test.
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
  BOOST_TEST(document_name_problem("tab\there") == "NAME contains a control character");
  BOOST_TEST(document_name_problem("line\nbreak") == "NAME contains a control character");
}
