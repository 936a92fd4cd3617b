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

// bytes / 3.5, rounded up: ASCII at the usual 3.5 characters per token, other scripts high.
BOOST_AUTO_TEST_CASE(tokens_are_estimated_from_bytes) {
  BOOST_TEST(estimate_tokens("") == 0u);
  BOOST_TEST(estimate_tokens("a") == 1u);
  BOOST_TEST(estimate_tokens("1234567") == 2u);
  BOOST_TEST(estimate_tokens("12345678") == 3u);
  BOOST_TEST(estimate_tokens(std::string(7000, 'x')) == 2000u);
  BOOST_TEST(estimate_tokens("\xE6\x97\xA5\xE6\x9C\xAC") == 2u);  // two CJK characters, 6 bytes
}

namespace {
// A row whose text costs exactly `tokens` estimated tokens with the message overhead.
StoredMessage row(const char* role, size_t tokens, char fill = 'x') {
  size_t text_tokens = tokens - kMessageOverheadTokens;
  return {role, std::string(text_tokens * 7 / 2, fill)};
}
size_t total(const std::vector<ChatTurn>& turns) {
  size_t bytes = 0;
  for (const auto& t : turns) bytes += t.text.size();
  return bytes;
}
}  // namespace

// Each case: stored rows (role and estimated cost), the budget, then the roles sent and how
// many stored messages were left out. Newest kept whole, oldest dropped first.
BOOST_AUTO_TEST_CASE(history_is_cut_to_the_budget_from_the_oldest_end) {
  struct Case {
    const char* name;
    std::vector<StoredMessage> rows;
    size_t budget;
    std::string roles;
    size_t dropped;
  };
  const std::vector<Case> cases = {
      {"all fits", {row("user", 100), row("assistant", 100), row("user", 100)}, 300, "uau", 0},
      {"oldest pair goes", {row("user", 100), row("assistant", 100), row("user", 100)}, 299, "u", 2},
      {"an assistant at the cut goes too",
       {row("user", 100), row("assistant", 100), row("user", 100), row("assistant", 100),
        row("user", 100)}, 400, "uau", 2},
      {"the newest message stays even over the budget",
       {row("user", 100), row("assistant", 100), row("user", 1000)}, 500, "u", 2},
      {"a message is kept whole or not at all: a smaller older one after a cut is not taken",
       {row("user", 10), row("assistant", 400), row("user", 100)}, 450, "u", 2},
      {"failed turns merged into one user turn are bounded too",
       {row("user", 100), row("user", 100), row("user", 100), row("user", 100)}, 250, "u", 2},
      {"system rows and blanks are not counted as dropped",
       {{"system", "prompt"}, row("user", 100), {"user", "  "}, row("assistant", 100),
        row("user", 100)}, 1000, "uau", 0},
      {"trailing assistant rows are formatting's, not the budget's",
       {row("user", 100), row("assistant", 100), row("user", 100), row("assistant", 100)}, 300,
       "uau", 0},
      {"no user message: nothing to send", {row("assistant", 100)}, 1000, "", 0},
      {"empty", {}, 1000, "", 0},
  };
  for (const Case& c : cases) {
    HistoryWindow window = fit_history(c.rows, c.budget);
    BOOST_TEST(roles(window.turns) == c.roles, c.name);
    BOOST_TEST(window.turns_dropped == c.dropped, c.name);
  }
}

// The review's case: 30 failed turns of ~2,000 tokens, then a question: one merged user turn
// of ~60,000 tokens. Now the newest parts that fit, the question itself always among them.
BOOST_AUTO_TEST_CASE(a_long_run_of_failed_turns_is_bounded) {
  std::vector<StoredMessage> rows;
  for (int i = 0; i < 30; ++i) rows.push_back(row("user", 2004, static_cast<char>('A' + i % 26)));
  rows.push_back({"user", "the question"});
  HistoryWindow window = fit_history(rows, 32000);
  BOOST_REQUIRE(window.turns.size() == 1u);
  BOOST_TEST(window.turns_dropped == 15u);  // 15 × 2,004 + the question's 8 ≤ 32,000
  BOOST_TEST(total(window.turns) <= 32000u * 7 / 2);
  const std::string& text = window.turns[0].text;
  BOOST_TEST(text.size() >= std::string("the question").size());
  BOOST_TEST(text.compare(text.size() - 12, 12, "the question") == 0);
  BOOST_TEST(text.front() == 'P');  // row 15 ('A' + 15) is the oldest kept
}

BOOST_AUTO_TEST_CASE(unfinished_replies_reach_claude_with_a_note_never_as_finished) {
  auto turns = format_message_history({{"user", "q1"},
                                       {"assistant", "half a sen", false, "stopped"},
                                       {"user", "q2"},
                                       {"assistant", "long answer", false, "max_tokens"},
                                       {"user", "q3"},
                                       {"assistant", "done.", false, "complete"},
                                       {"user", "q4"},
                                       {"assistant", "old row", false, ""},
                                       {"user", "q5"},
                                       {"assistant", "cut", false, "shutdown"},
                                       {"assistant", "also cut", false, "failed"},
                                       {"user", "q6"}});
  BOOST_TEST(roles(turns) == "uauauauauau");
  BOOST_TEST(turns[1].text == "half a sen\n\n[This reply was stopped by the user before it finished.]");
  BOOST_TEST(turns[3].text == "long answer\n\n[This reply was cut off at the length limit.]");
  BOOST_TEST(turns[5].text == "done.");
  BOOST_TEST(turns[7].text == "old row");  // stored before outcomes existed: complete
  BOOST_TEST(turns[9].text ==
             "cut\n\n[This reply was interrupted by a server restart before it finished.]\n\n"
             "also cut\n\n[This reply was interrupted by an error before it finished.]");
}
