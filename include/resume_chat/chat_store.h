// The seed's database module: documents by name, chat messages by session.
//
// Every function leases a connection only for its own statement, so no connection is held
// while a reply streams. Failures come back as values with libpq's reason for the log.
#ifndef RESUME_CHAT_CHAT_STORE_H_
#define RESUME_CHAT_CHAT_STORE_H_

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

HistoryLookup get_session_history(DbPool& pool, const std::string& session_uuid);

// Runs `SELECT 1`; returns "" or the reason.
std::string test_connection(DbPool& pool);

}  // namespace resume_chat

#endif  // RESUME_CHAT_CHAT_STORE_H_
