// History formatting and the token budget on what each request re-sends. The rules are the
// API's 400s a stored chat could trip: the first message must be the user's, no message may
// be empty or whitespace-only, an assistant message last would be a prefill (history.h).
#include "resume_chat/history.h"

#include "resume_chat/reply_outcome.h"
#include "resume_chat/text.h"

namespace resume_chat {
namespace {

bool is_turn(const StoredMessage& row) {
  return (row.message_type == "user" || row.message_type == "assistant") && !row.superseded &&
         !is_blank(row.contents);
}

// A reply that did not finish goes back to Claude as what it is, never as a finished answer.
std::string turn_text(const StoredMessage& row) {
  if (row.message_type != "assistant") return row.contents;
  std::optional<ReplyOutcome> outcome = parse_outcome(row.outcome);
  const std::string_view note = history_note(outcome.value_or(ReplyOutcome::kFailed));
  return note.empty() ? row.contents : row.contents + "\n\n" + std::string(note);
}

}  // namespace

std::vector<ChatTurn> format_message_history(const std::vector<StoredMessage>& rows) {
  std::vector<ChatTurn> turns;
  const StoredMessage* previous = nullptr;  // the last row kept
  for (const StoredMessage& row : rows) {
    if (!is_turn(row)) continue;
    if (turns.empty() && row.message_type != "user") continue;
    const bool repeated = previous != nullptr && row.message_type == "user" &&
                          previous->message_type == "user" && previous->contents == row.contents;
    previous = &row;
    if (repeated) continue;
    if (!turns.empty() && turns.back().role == row.message_type) {
      turns.back().text += "\n\n" + turn_text(row);
    } else {
      turns.push_back({row.message_type, turn_text(row)});
    }
  }
  while (!turns.empty() && turns.back().role != "user") turns.pop_back();
  return turns;
}

size_t estimate_tokens(std::string_view text) { return (text.size() * 2 + 6) / 7; }

HistoryWindow fit_history(const std::vector<StoredMessage>& rows, size_t max_tokens) {
  std::vector<StoredMessage> turns;  // the rows that can become turns, oldest first
  for (const StoredMessage& row : rows) {
    if (is_turn(row)) turns.push_back(row);
  }
  size_t end = turns.size();  // one past the newest user message
  while (end > 0 && turns[end - 1].message_type != "user") --end;
  size_t first = end, tokens = 0;
  while (first > 0) {
    size_t cost = estimate_tokens(turns[first - 1].contents) + kMessageOverheadTokens;
    if (first < end && tokens + cost > max_tokens) break;  // the newest always stays
    tokens += cost;
    --first;
  }
  // A request starts with a user turn: an assistant message at the cut goes too.
  while (first < end && turns[first].message_type != "user") ++first;
  HistoryWindow window;
  window.turns_dropped = first;
  turns.erase(turns.begin(), turns.begin() + static_cast<std::ptrdiff_t>(first));
  window.turns = format_message_history(turns);
  return window;
}

}  // namespace resume_chat
