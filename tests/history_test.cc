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

BOOST_AUTO_TEST_CASE(superseded_replies_are_not_history) {
  // Q failed mid-reply (partial stored), then was regenerated: the partial is marked.
  std::vector<StoredMessage> rows{{"user", "q1"}, {"assistant", "a1"}, {"user", "q2"},
                                  {"assistant", "partial", true}, {"assistant", "full"},
                                  {"user", "q3"}};
  auto turns = format_message_history(rows);
  BOOST_TEST(roles(turns) == "uauau");
  BOOST_TEST(turns[3].text == "full");
  // While the new reply streams, the question is the last turn, once.
  rows.resize(4);
  turns = format_message_history(rows);
  BOOST_TEST(roles(turns) == "uau");
  BOOST_TEST(turns[2].text == "q2");
}

BOOST_AUTO_TEST_CASE(every_reply_superseded_leaves_the_question) {
  auto turns = format_message_history(
      {{"user", "q"}, {"assistant", "stopped", true}, {"assistant", "failed", true}});
  BOOST_TEST(roles(turns) == "u");
  BOOST_TEST(turns[0].text == "q");
}

BOOST_AUTO_TEST_CASE(a_question_stored_twice_in_a_row_is_sent_once) {
  // An older page's Retry stored the same question again after a reply that failed with
  // nothing stored: Claude gets "X", not "X\n\nX".
  auto turns = format_message_history({{"user", "X"}, {"user", "X"}});
  BOOST_TEST(roles(turns) == "u");
  BOOST_TEST(turns[0].text == "X");
  // A superseded reply between them does not make them different turns either.
  turns = format_message_history({{"user", "X"}, {"assistant", "cut", true}, {"user", "X"}});
  BOOST_TEST(turns[0].text == "X");
  // Different questions still merge, and an answered question may be asked again.
  BOOST_TEST(format_message_history({{"user", "X"}, {"user", "Y"}})[0].text == "X\n\nY");
  BOOST_TEST(roles(format_message_history(
                 {{"user", "X"}, {"assistant", "a"}, {"user", "X"}})) == "uau");
}
