// The operator's side of the documents table, for `resume-chat documents`: create or
// replace a row, list them, delete one. Only for deployments where no other application
// manages that table; run as DB_ADMIN_USER, since the worker's role may only read it.
#ifndef RESUME_CHAT_DOCUMENT_ADMIN_H_
#define RESUME_CHAT_DOCUMENT_ADMIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "resume_chat/db_pool.h"

namespace resume_chat {

// "" when `name` can be looked up as a documents.name (non-empty, UTF-8, at most 255
// characters, no C0 control characters); else why not, naming the character and where.
std::string document_name_problem(const std::string& name);

// "" when `documents put` may store `name`: document_name_problem, and every character
// visible: no C0 or C1 control, bidi control (U+202E RIGHT-TO-LEFT OVERRIDE, the isolates,
// the marks), zero-width or other invisible character. Such a name reads as something else
// in a terminal, a log or a link. (One another application stored is still looked up.)
std::string new_document_name_problem(const std::string& name);

struct DocumentWrite {
  bool ok = false;
  bool created = false;  // false: an existing row was replaced
  std::string error;
};

DocumentWrite put_document(DbPool& pool, const std::string& name, const std::string& resume,
                           const std::string& jd);

struct DocumentSummary {
  std::string name;
  int64_t resume_chars = 0, jd_chars = 0;
  std::string updated;  // "YYYY-MM-DD HH:MM" UTC
  int64_t sessions = 0;
};

struct DocumentList {
  bool ok = false;
  std::vector<DocumentSummary> documents;  // by name
  std::string error;
};

DocumentList list_documents(DbPool& pool);

enum class DeleteStatus { kDeleted, kNotFound, kDatabaseError };
struct DocumentDelete {
  DeleteStatus status = DeleteStatus::kDatabaseError;
  std::string error;
};

// The document's stored chats and sessions stay: its transcripts remain readable.
DocumentDelete delete_document(DbPool& pool, const std::string& name);

}  // namespace resume_chat

#endif  // RESUME_CHAT_DOCUMENT_ADMIN_H_
