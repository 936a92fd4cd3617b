// History formatting: whatever is stored, the next request stays valid.
#define BOOST_TEST_MODULE history
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/history.h"

using namespace resume_chat;

namespace {
std::string roles(const std::vector<ChatTurn>& turns) {
  std::string out;
  for (const auto& t : turns) out += t.role == "user" ? 'u' : 'a';
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(alternating_history_is_kept) {
  auto turns = format_message_history(
      {{"user", "hi"}, {"assistant", "hello"}, {"user", "how is my resume?"}});
  BOOST_TEST(roles(turns) == "uau");
  BOOST_TEST(turns[2].text == "how is my resume?");
}

BOOST_AUTO_TEST_CASE(consecutive_same_role_turns_merge) {
  auto turns = format_message_history(
      {{"user", "one"}, {"user", "two"}, {"assistant", "a"}, {"assistant", "b"}, {"user", "q"}});
  BOOST_TEST(roles(turns) == "uau");
  BOOST_TEST(turns[0].text == "one\n\ntwo");
  BOOST_TEST(turns[1].text == "a\n\nb");
}

BOOST_AUTO_TEST_CASE(empty_and_system_rows_are_dropped) {
  auto turns = format_message_history({{"system", "prompt"}, {"user", "  \n"}, {"user", "q1"},
                                       {"assistant", ""}, {"user", "q2"}});
  BOOST_TEST(roles(turns) == "u");
  BOOST_TEST(turns[0].text == "q1\n\nq2");
}

BOOST_AUTO_TEST_CASE(never_starts_or_ends_with_assistant) {
  auto turns = format_message_history(
      {{"assistant", "orphan"}, {"user", "q"}, {"assistant", "partial reply"}});
  BOOST_TEST(roles(turns) == "u");
  BOOST_TEST(format_message_history({{"assistant", "only"}}).empty());
  BOOST_TEST(format_message_history({}).empty());
}

BOOST_AUTO_TEST_CASE(failed_turn_then_retry_stays_valid) {
  // A user message whose reply failed (nothing stored), then another user message.
  auto turns = format_message_history({{"user", "first"}, {"user", "retry"}});
  BOOST_TEST(roles(turns) == "u");
}
