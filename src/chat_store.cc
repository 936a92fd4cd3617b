// SQL for documents and chats; parameterized statements only.
#include "resume_chat/chat_store.h"

#include "resume_chat/utf8.h"

namespace resume_chat {
namespace {

std::string text_at(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return std::string();
  return std::string(PQgetvalue(result, row, column),
                     static_cast<size_t>(PQgetlength(result, row, column)));
}

// Runs a read-only statement, retrying once on a fresh connection if the first one turned
// out to be dead: safe because reading twice changes nothing.
PgResultPtr run_read(DbPool& pool, const char* sql, const std::vector<std::string>& params,
                     std::string& error) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    DbLease lease = pool.acquire();
    if (!lease) {
      error = lease.error();
      return nullptr;
    }
    PgResultPtr result = lease.exec(sql, params);
    if (result_ok(result.get())) return result;
    error = last_error(lease.get(), result.get());
    if (PQstatus(lease.get()) != CONNECTION_BAD) return nullptr;
  }
  return nullptr;
}

}  // namespace

DocumentLookup get_document_by_name(DbPool& pool, const std::string& name) {
  DocumentLookup lookup;
  if (name.empty() || !is_valid_utf8(name) || utf8_length(name) > kMaxDocumentNameChars ||
      name.find('\0') != std::string::npos) {
    lookup.status = Lookup::kNotFound;
    return lookup;
  }
  PgResultPtr result = run_read(
      pool, "SELECT resume, jd FROM documents WHERE name = $1 LIMIT 1", {name}, lookup.error);
  if (!result) return lookup;
  if (PQntuples(result.get()) == 0) {
    lookup.status = Lookup::kNotFound;
    return lookup;
  }
  lookup.status = Lookup::kFound;
  lookup.document = {name, text_at(result.get(), 0, 0), text_at(result.get(), 0, 1)};
  return lookup;
}

std::string save_message(DbPool& pool, const std::string& session_uuid,
                         const std::string& message_type, const std::string& contents) {
  DbLease lease = pool.acquire();
  if (!lease) return lease.error();
  PgResultPtr result = lease.exec(
      "INSERT INTO chats (timestamp, session_uuid, message_type, contents) "
      "VALUES (clock_timestamp(), $1, $2, $3)",
      {session_uuid, message_type, contents});
  return result_ok(result.get()) ? "" : last_error(lease.get(), result.get());
}

HistoryLookup get_session_history(DbPool& pool, const std::string& session_uuid) {
  HistoryLookup history;
  PgResultPtr result = run_read(pool,
                                "SELECT message_type, contents FROM chats "
                                "WHERE session_uuid = $1 ORDER BY timestamp, id",
                                {session_uuid}, history.error);
  if (!result) return history;
  history.ok = true;
  const int rows = PQntuples(result.get());
  history.messages.reserve(static_cast<size_t>(rows));
  for (int row = 0; row < rows; ++row) {
    history.messages.push_back({text_at(result.get(), row, 0), text_at(result.get(), row, 1)});
  }
  return history;
}

std::string test_connection(DbPool& pool) {
  std::string error;
  PgResultPtr result = run_read(pool, "SELECT 1", {}, error);
  return result ? "" : error;
}

}  // namespace resume_chat
