// The seed's format_message_history: stored chat rows → the `messages` of a request that
// the Messages API accepts, whatever was stored.
#ifndef RESUME_CHAT_HISTORY_H_
#define RESUME_CHAT_HISTORY_H_

#include <vector>

#include "resume_chat/chat_store.h"
#include "resume_chat/claude_client.h"

namespace resume_chat {

// Keeps user and assistant rows in order; drops empty or whitespace-only ones and
// superseded replies (regenerate); merges consecutive turns of one role (blank line
// between), sending a user row equal to the one before it once (a retry stored twice by an
// older page); drops assistant turns before the first user turn and after the last one (no
// prefill). The result is empty or starts and ends with a user turn and alternates.
std::vector<ChatTurn> format_message_history(const std::vector<StoredMessage>& rows);

}  // namespace resume_chat

#endif  // RESUME_CHAT_HISTORY_H_
