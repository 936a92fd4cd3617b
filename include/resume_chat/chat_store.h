// The seed's database module: documents by name, chat messages by session.
//
// Every function leases a connection only for its own statement, so no connection is held
// while a reply streams. Failures come back as values with libpq's reason for the log.
// Rows are only ever appended, except that a reply can be marked superseded (regenerate).
#ifndef RESUME_CHAT_CHAT_STORE_H_
#define RESUME_CHAT_CHAT_STORE_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "resume_chat/db_pool.h"

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
};

struct HistoryLookup {
  bool ok = false;
  std::vector<StoredMessage> messages;  // oldest first
  std::string error;
};

// Names longer than the column (255 characters) cannot exist, so they are "not found"
// without asking the database.
constexpr size_t kMaxDocumentNameChars = 255;

DocumentLookup get_document_by_name(DbPool& pool, const std::string& name);

// Returns "" on success, else the reason. `message_type` must be user/assistant/system.
// With `document_name`, the same statement also records which document the session belongs
// to (the sessions table, migrations/005_sessions.sql) if it is the session's first message.
std::string save_message(DbPool& pool, const std::string& session_uuid,
                         const std::string& message_type, const std::string& contents,
                         const std::string& document_name = "");

// Stores a reply that reached the reader, which must not be lost: it waits its turn for a
// connection however busy the pool is (up to kReplySaveWait), and retries once on a fresh
// connection if the first one turned out to be dead. "" or the reason.
constexpr std::chrono::seconds kReplySaveWait{120};
std::string save_reply(DbPool& pool, const std::string& session_uuid, const std::string& text);

HistoryLookup get_session_history(DbPool& pool, const std::string& session_uuid);

struct QuestionStore {
  std::string error;      // "" when done, else the reason
  bool inserted = false;  // false: a regenerate found the question already stored
  int superseded = 0;     // earlier replies to it, now marked superseded
};

// Stores the user's question before a reply. With `regenerate` (Retry), a question equal to
// the session's newest one is not stored again: the replies stored after it (a failed or
// stopped attempt) are marked superseded instead, in the same statement. A regenerated
// question that is not the newest (its first attempt never reached the database) is stored
// like any other. `document_name` records the session's document, as save_message does.
QuestionStore store_question(DbPool& pool, const std::string& session_uuid,
                             const std::string& text, bool regenerate,
                             const std::string& document_name);


// Runs `SELECT 1`; returns "" or the reason.
std::string test_connection(DbPool& pool);

}  // namespace resume_chat

#endif  // RESUME_CHAT_CHAT_STORE_H_
