// The seed's format_message_history: stored chat rows → the `messages` of a request that
// the Messages API accepts, whatever was stored; and fit_history, which bounds what a
// request re-sends of a long session (HISTORY_MAX_TOKENS).
#ifndef RESUME_CHAT_HISTORY_H_
#define RESUME_CHAT_HISTORY_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "resume_chat/chat_store.h"
#include "resume_chat/claude_client.h"

namespace resume_chat {

// Keeps user and assistant rows in order; drops empty or whitespace-only ones and
// superseded replies (regenerate); merges consecutive turns of one role (blank line
// between), sending a user row equal to the one before it once (a retry stored twice by an
// older page); drops assistant turns before the first user turn and after the last one (no
// prefill). The result is empty or starts and ends with a user turn and alternates. A reply
// that did not complete (chats.outcome) carries a bracketed note after its text, e.g.
// "[This reply was stopped by the user before it finished.]" (reply_outcome.h).
std::vector<ChatTurn> format_message_history(const std::vector<StoredMessage>& rows);

// Estimated tokens of a text: its bytes / 3.5, rounded up. 3.5 characters per token is the
// usual figure for Claude on English; counting bytes instead of characters errs high for
// other scripts (3 bytes per CJK character, often a token each), so the cap is met or
// undershot, never overshot by much. Not the real count: `usage` in the log has that.
size_t estimate_tokens(std::string_view text);

// Estimated tokens a message costs beyond its text (role and framing).
constexpr size_t kMessageOverheadTokens = 4;

struct HistoryWindow {
  std::vector<ChatTurn> turns;  // as format_message_history gives them
  size_t turns_dropped = 0;     // stored messages left out, the oldest ones
};

// The newest stored messages that fit in `max_tokens` (estimated, text plus overhead), as
// API turns. Walks back from the newest user message, which is always kept whole however
// long; stops at the first message that does not fit, so a message is kept whole or not
// at all and only the oldest are left out. A user turn merged from several stored
// messages (replies that failed) is bounded the same way: its oldest parts go first. The
// system prompt is not part of this and is always sent. Messages after the newest user
// message (none, in the chat's own order) are dropped by formatting, not counted here.
HistoryWindow fit_history(const std::vector<StoredMessage>& rows, size_t max_tokens);

}  // namespace resume_chat

#endif  // RESUME_CHAT_HISTORY_H_
