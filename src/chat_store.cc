// SQL for documents and chats; parameterized statements only.
#include "resume_chat/chat_store.h"

#include <cstdlib>

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

namespace {

const char* const kInsertMessage =
    "INSERT INTO chats (timestamp, session_uuid, message_type, contents) "
    "VALUES (clock_timestamp(), $1, $2, $3)";

}  // namespace

std::string save_message(DbPool& pool, const std::string& session_uuid,
                         const std::string& message_type, const std::string& contents,
                         const std::string& document_name) {
  DbLease lease = pool.acquire();
  if (!lease) return lease.error();
  // One statement, so a session never has messages without its document, nor the reverse.
  // ON CONFLICT without a target: naming (session_uuid) would need SELECT on sessions,
  // which the worker's role does not have.
  PgResultPtr result =
      document_name.empty()
          ? lease.exec(kInsertMessage, {session_uuid, message_type, contents})
          : lease.exec(
                "WITH s AS (INSERT INTO sessions (session_uuid, document_name) "
                "VALUES ($1, $4) ON CONFLICT DO NOTHING) "
                "INSERT INTO chats (timestamp, session_uuid, message_type, contents) "
                "VALUES (clock_timestamp(), $1, $2, $3)",
                {session_uuid, message_type, contents, document_name});
  return result_ok(result.get()) ? "" : last_error(lease.get(), result.get());
}

// The connection that fails is nearly always one the server closed while it sat idle
// (a restart, a failover): the statement never reached the server, so retrying it on a
// fresh connection does not store the reply twice.
std::string save_reply(DbPool& pool, const std::string& session_uuid, const std::string& text) {
  std::string error;
  for (int attempt = 0; attempt < 2; ++attempt) {
    DbLease lease = pool.acquire(kReplySaveWait);
    if (!lease) return lease.error() + " (waited " + std::to_string(kReplySaveWait.count()) + " s)";
    PgResultPtr result = lease.exec(kInsertMessage, {session_uuid, "assistant", text});
    if (result_ok(result.get())) return "";
    error = last_error(lease.get(), result.get());
    if (PQstatus(lease.get()) != CONNECTION_BAD) break;
  }
  return error;
}

HistoryLookup get_session_history(DbPool& pool, const std::string& session_uuid) {
  HistoryLookup history;
  PgResultPtr result = run_read(pool,
                                "SELECT message_type, contents, superseded_at IS NOT NULL "
                                "FROM chats WHERE session_uuid = $1 ORDER BY timestamp, id",
                                {session_uuid}, history.error);
  if (!result) return history;
  history.ok = true;
  const int rows = PQntuples(result.get());
  history.messages.reserve(static_cast<size_t>(rows));
  for (int row = 0; row < rows; ++row) {
    history.messages.push_back({text_at(result.get(), row, 0), text_at(result.get(), row, 1),
                                text_at(result.get(), row, 2) == "t"});
  }
  return history;
}

// One statement, so the check, the marking and the insert cannot interleave with another
// request; "after" is by id, which follows insertion order within a session (one stream
// per session at a time).
const char* const kRegenerateSql =
    "WITH newest AS ("
    "  SELECT id, contents = $2 AS same FROM chats"
    "  WHERE session_uuid = $1 AND message_type = 'user' ORDER BY id DESC LIMIT 1),"
    " superseded AS ("
    "  UPDATE chats SET superseded_at = clock_timestamp()"
    "  WHERE session_uuid = $1 AND message_type = 'assistant' AND superseded_at IS NULL"
    "    AND id > (SELECT id FROM newest WHERE same) RETURNING id),"
    " inserted AS ("
    "  INSERT INTO chats (timestamp, session_uuid, message_type, contents)"
    "  SELECT clock_timestamp(), $1, 'user', $2"
    "  WHERE NOT EXISTS (SELECT 1 FROM newest WHERE same) RETURNING id),"
    // A question never stored before may be the session's first message (see save_message).
    " session AS ("
    "  INSERT INTO sessions (session_uuid, document_name) SELECT $1, $3::text"
    "  WHERE $3::text <> '' AND NOT EXISTS (SELECT 1 FROM newest) ON CONFLICT DO NOTHING)"
    " SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM superseded)";

QuestionStore store_question(DbPool& pool, const std::string& session_uuid,
                             const std::string& text, bool regenerate,
                             const std::string& document_name) {
  QuestionStore out;
  if (!regenerate) {
    out.error = save_message(pool, session_uuid, "user", text, document_name);
    out.inserted = out.error.empty();
    return out;
  }
  DbLease lease = pool.acquire();
  if (!lease) {
    out.error = lease.error();
    return out;
  }
  PgResultPtr result = lease.exec(kRegenerateSql, {session_uuid, text, document_name});
  if (!result_ok(result.get())) {
    out.error = last_error(lease.get(), result.get());
    return out;
  }
  out.inserted = text_at(result.get(), 0, 0) == "1";
  out.superseded = std::atoi(text_at(result.get(), 0, 1).c_str());
  return out;
}


std::string test_connection(DbPool& pool) {
  std::string error;
  PgResultPtr result = run_read(pool, "SELECT 1", {}, error);
  return result ? "" : error;
}

}  // namespace resume_chat
