// The seed's database module: documents by name, chat messages by session.
//
// Every function leases a connection only for its own statement, so no connection is held
// while a reply streams. Failures come back as values with libpq's reason for the log.
// Rows are only ever appended, except that a reply can be marked superseded (regenerate).
// A reply's own row is stored by reply_writer.h, with the end of its session's claim.
#ifndef RESUME_CHAT_CHAT_STORE_H_
#define RESUME_CHAT_CHAT_STORE_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "resume_chat/db_pool.h"
#include "resume_chat/status.h"

namespace resume_chat {

struct Document {
  std::string name, resume, jd;
};

enum class Lookup { kFound, kNotFound, kDatabaseError };

struct DocumentLookup {
  Lookup status = Lookup::kDatabaseError;
  Document document;
  std::string error;  // for kDatabaseError
};

struct StoredMessage {
  std::string message_type;  // "system" | "user" | "assistant"
  std::string contents;
  bool superseded = false;   // a reply answered again (regenerate): kept, not history
  std::string outcome{};     // an assistant row's chats.outcome; "" (NULL) reads as complete
};

// Names longer than the column (255 characters) cannot exist, so they are "not found"
// without asking the database.
constexpr size_t kMaxDocumentNameChars = 255;

DocumentLookup get_document_by_name(DbPool& pool, const std::string& name);

// Stores one message; an error has the reason. `message_type` must be user/assistant/system.
// With `document_name`, the same statement also records which document the session belongs
// to (the sessions table, migrations/005_sessions.sql) if it is the session's first message.
Status save_message(DbPool& pool, const std::string& session_uuid,
                    const std::string& message_type, const std::string& contents,
                    const std::string& document_name = "");

// Every message of a session, oldest first (the seed's get_session_history).
Result<std::vector<StoredMessage>> get_session_history(DbPool& pool,
                                                       const std::string& session_uuid);

// What POST /chat needs before it streams, read and written in one round trip.
struct ChatStartRequest {
  std::string session_uuid, document_name;
  std::string reply_uuid;        // the reply about to stream (the claim, the row, the usage)
  std::string question;
  bool regenerate = false;       // Retry: answer the session's newest question again
  int64_t max_tokens = 0;        // the reply's worst-case output, for the reservation
  int64_t daily_budget = 0;      // DAILY_TOKEN_BUDGET; 0: nothing is reserved
  int64_t history_bytes = 0;     // stored messages re-read at most, newest first
  int claim_seconds = 900;       // the claim expires (a worker that died) after this long
};

enum class ChatStartVerdict { kStarted, kNoDocument, kSessionBusy, kOverBudget };

struct ChatStart {
  ChatStartVerdict verdict = ChatStartVerdict::kStarted;
  Document document;
  std::vector<StoredMessage> history;  // oldest first, the question last
  size_t older_messages = 0;           // stored before `history` and not read
  int superseded = 0;                  // regenerate: earlier replies now marked superseded
  bool question_stored = false;        // false: a regenerate found it stored already
  int64_t reserved = 0;                // budget tokens reserved for this reply
  std::string reserved_day;            // the UTC day they count on
  int64_t used_today = 0, seconds_to_reset = 0;  // for kOverBudget's message
};

// One pipeline, one transaction: the document; then, if it exists and the session has no
// live reply on any worker (sessions.streaming_reply), and the day's budget has room
// (used + reserved < budget), the claim of the session for `reply_uuid`, the reservation of
// the reply's worst case (the document, the history and the question as estimated tokens,
// plus max_tokens), and the question (or, for a regenerate, the superseding of the replies
// to it); then the newest history within `history_bytes`. Nothing is written when it is
// refused (a reservation that lost a race for the claim is given back).
Result<ChatStart> start_chat(DbPool& pool, const ChatStartRequest& request);

// Runs `SELECT 1`; an error has the reason.
Status test_connection(DbPool& pool);

}  // namespace resume_chat

#endif  // RESUME_CHAT_CHAT_STORE_H_
