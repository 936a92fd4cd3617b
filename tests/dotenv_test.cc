// .env parsing: the python-dotenv cases the seed relies on.
#define BOOST_TEST_MODULE dotenv
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <map>

#include "resume_chat/dotenv.h"

using namespace resume_chat;

namespace {
std::map<std::string, std::string> parse(const std::string& text) {
  std::map<std::string, std::string> out;
  for (auto& [k, v] : parse_dotenv(text)) out[k] = v;
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(plain_values_blank_lines_and_comments) {
  auto env = parse("# a comment\n\nA=1\n  B = two words  \nC=x # trailing comment\nD=a#b\n");
  BOOST_TEST(env.size() == 4u);
  BOOST_TEST(env["A"] == "1");
  BOOST_TEST(env["B"] == "two words");
  BOOST_TEST(env["C"] == "x");
  BOOST_TEST(env["D"] == "a#b");
}

BOOST_AUTO_TEST_CASE(export_prefix_and_crlf) {
  auto env = parse("export KEY=value\r\nexport  OTHER='q'\r\n");
  BOOST_TEST(env["KEY"] == "value");
  BOOST_TEST(env["OTHER"] == "q");
}

BOOST_AUTO_TEST_CASE(single_quotes_are_literal) {
  auto env = parse("P='pa$$ w#rd \\n'\n");
  BOOST_TEST(env["P"] == "pa$$ w#rd \\n");
}

BOOST_AUTO_TEST_CASE(double_quotes_unescape_and_span_lines) {
  auto env = parse("M=\"line1\\nline2 \\\"q\\\"\"  # c\nN=\"multi\nline\"\nZ=z\n");
  BOOST_TEST(env["M"] == "line1\nline2 \"q\"");
  BOOST_TEST(env["N"] == "multi\nline");
  BOOST_TEST(env["Z"] == "z");
}

BOOST_AUTO_TEST_CASE(empty_values_and_non_assignments) {
  auto env = parse("EMPTY=\nJUSTWORD\n=novalue\nOK=1\n");
  BOOST_TEST(env.count("EMPTY") == 1u);
  BOOST_TEST(env["EMPTY"] == "");
  BOOST_TEST(env.count("JUSTWORD") == 0u);
  BOOST_TEST(env["OK"] == "1");
}

BOOST_AUTO_TEST_CASE(unterminated_quote_is_skipped) {
  auto env = parse("BAD=\"never closed\nGOOD=1\n");
  BOOST_TEST(env.count("BAD") == 0u);
}

BOOST_AUTO_TEST_CASE(environment_wins_over_file) {
  const std::string path = "/tmp/resume_chat_dotenv_test.env";
  std::ofstream(path) << "RC_DOTENV_SET=from_file\nRC_DOTENV_NEW=from_file\n";
  setenv("RC_DOTENV_SET", "from_env", 1);
  unsetenv("RC_DOTENV_NEW");
  BOOST_TEST(load_dotenv_file(path));
  BOOST_TEST(std::string(std::getenv("RC_DOTENV_SET")) == "from_env");
  BOOST_TEST(std::string(std::getenv("RC_DOTENV_NEW")) == "from_file");
  std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(missing_file_is_fine) {
  BOOST_TEST(load_dotenv_file("/nonexistent/dir/.env"));
}
