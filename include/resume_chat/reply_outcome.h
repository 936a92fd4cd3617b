// How a reply ended, as stored in chats.outcome (migrations/006_reply_outcomes.sql) and told
// to the reader, to Claude (history) and to the operator (transcripts, logs).
//
// What counts is what the reader was given: a reply the API completed but whose last part
// never reached the reader (Stop while it was being written, a reader too slow) did not
// complete for that reader.
#ifndef RESUME_CHAT_REPLY_OUTCOME_H_
#define RESUME_CHAT_REPLY_OUTCOME_H_

#include <optional>
#include <string_view>

#include "resume_chat/claude_client.h"

namespace resume_chat {

enum class ReplyOutcome {
  kComplete,   // the API ended the message
  kMaxTokens,  // the API ended it at the token limit
  kStopped,    // the reader left: Stop, a closed tab
  kFailed,     // the API or the network failed mid-way, the idle timeout, a reader too slow
  kShutdown,   // the worker stopped it
};

// `fully_written`: every piece of text received reached the reader.
ReplyOutcome outcome_of(const Reply& reply, bool fully_written);

// The column's value: complete, max_tokens, stopped, failed, shutdown.
const char* outcome_name(ReplyOutcome outcome);
// The inverse; NULL (rows stored before the column existed) reads as complete.
std::optional<ReplyOutcome> parse_outcome(std::string_view name);

// Whether Claude's message ended the way Claude meant it to (complete or at max_tokens
// still holds every word it wrote).
inline bool finished(ReplyOutcome outcome) {
  return outcome == ReplyOutcome::kComplete || outcome == ReplyOutcome::kMaxTokens;
}

// The bracketed note that follows an unfinished reply's text when it is sent back to Claude
// as history, e.g. "[This reply was stopped before it finished.]"; "" for a complete one.
std::string_view history_note(ReplyOutcome outcome);

}  // namespace resume_chat

#endif  // RESUME_CHAT_REPLY_OUTCOME_H_
