// History formatting; the rules are the API's (shared/research/anthropic-api.md §1.3).
#include "resume_chat/history.h"

namespace resume_chat {
namespace {

bool is_blank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n\v\f") == std::string::npos;
}

}  // namespace

std::vector<ChatTurn> format_message_history(const std::vector<StoredMessage>& rows) {
  std::vector<ChatTurn> turns;
  const StoredMessage* previous = nullptr;  // the last row kept
  for (const StoredMessage& row : rows) {
    if (row.message_type != "user" && row.message_type != "assistant") continue;
    if (row.superseded || is_blank(row.contents)) continue;
    if (turns.empty() && row.message_type != "user") continue;
    const bool repeated = previous != nullptr && row.message_type == "user" &&
                          previous->message_type == "user" && previous->contents == row.contents;
    previous = &row;
    if (repeated) continue;
    if (!turns.empty() && turns.back().role == row.message_type) {
      turns.back().text += "\n\n" + row.contents;
    } else {
      turns.push_back({row.message_type, row.contents});
    }
  }
  while (!turns.empty() && turns.back().role != "user") turns.pop_back();
  return turns;
}

}  // namespace resume_chat
