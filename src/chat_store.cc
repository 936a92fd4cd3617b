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

// One statement, so a session never has messages without its document, nor the reverse.
// ON CONFLICT without a target: the claim's columns aside (006), the worker's role may not
// read sessions.
const char* const kSaveMessageSql =
    "WITH s AS (INSERT INTO sessions (session_uuid, document_name) "
    "SELECT $1::uuid, $4::text WHERE $4::text <> '' ON CONFLICT DO NOTHING) "
    "INSERT INTO chats (timestamp, session_uuid, message_type, contents) "
    "VALUES (clock_timestamp(), $1, $2, $3)";

}  // namespace

Status save_message(DbPool& pool, const std::string& session_uuid,
                    const std::string& message_type, const std::string& contents,
                    const std::string& document_name) {
  DbLease lease = pool.acquire();
  if (!lease) return Status::Error(lease.error());
  PgResultPtr result =
      lease.exec(kSaveMessageSql, {session_uuid, message_type, contents, document_name});
  return result_ok(result.get()) ? Status::Ok() : Status::Error(last_error(lease.get(), result.get()));
}

Result<std::vector<StoredMessage>> get_session_history(DbPool& pool,
                                                       const std::string& session_uuid) {
  std::string error;
  PgResultPtr result = run_read(pool,
                                "SELECT message_type, contents, superseded_at IS NOT NULL, "
                                "COALESCE(outcome, '') "
                                "FROM chats WHERE session_uuid = $1 ORDER BY timestamp, id",
                                {session_uuid}, error);
  if (!result) return Status::Error(error);
  std::vector<StoredMessage> messages;
  const int rows = PQntuples(result.get());
  messages.reserve(static_cast<size_t>(rows));
  for (int row = 0; row < rows; ++row) {
    messages.push_back({text_at(result.get(), row, 0), text_at(result.get(), row, 1),
                        text_at(result.get(), row, 2) == "t", text_at(result.get(), row, 3)});
  }
  return messages;
}

// The write of a chat's start, in one statement whose parts see one snapshot: `busy` (a live
// reply of this session on any worker) and the budget check decide whether the claim, the
// reservation and the question happen at all. The claim's ON CONFLICT waits for a concurrent
// claim of the same session to commit and then re-checks it, so two workers never both win.
// "After" the newest question is by id, which follows insertion order within a session.
const char* const kStartChatSql =
    "WITH doc AS ("
    "  SELECT octet_length(resume) + octet_length(jd) AS bytes FROM documents"
    "  WHERE name = $2 LIMIT 1),"
    " busy AS ("
    "  SELECT EXISTS (SELECT 1 FROM sessions WHERE session_uuid = $1 AND streaming_reply <> $3"
    "                 AND streaming_until > clock_timestamp()) AS yes),"
    " past AS ("
    "  SELECT COALESCE(sum(octet_length(contents)), 0) AS bytes FROM chats"
    "  WHERE session_uuid = $1 AND superseded_at IS NULL),"
    " want AS ("
    "  SELECT $6::bigint + ceil((doc.bytes + LEAST(past.bytes, $7::bigint) + octet_length($4))"
    "         / 3.5)::bigint AS tokens FROM doc, past, busy WHERE NOT busy.yes),"
    " reserve AS ("
    "  INSERT INTO token_usage AS u (day, reserved_tokens)"
    "  SELECT (now() AT TIME ZONE 'UTC')::date, tokens FROM want WHERE $8::bigint > 0"
    "  ON CONFLICT (day) DO UPDATE SET reserved_tokens = u.reserved_tokens + EXCLUDED.reserved_tokens"
    "  WHERE u.input_tokens + u.cache_creation_tokens + u.cache_read_tokens + u.output_tokens"
    "        + u.reserved_tokens < $8::bigint"
    "  RETURNING day),"
    " admitted AS (SELECT tokens FROM want WHERE $8::bigint <= 0 OR EXISTS (SELECT 1 FROM reserve)),"
    " claim AS ("
    "  INSERT INTO sessions AS s (session_uuid, document_name, streaming_reply, streaming_until)"
    "  SELECT $1, $2, $3, clock_timestamp() + make_interval(secs => $9::int) FROM admitted"
    "  ON CONFLICT (session_uuid) DO UPDATE"
    "  SET streaming_reply = EXCLUDED.streaming_reply, streaming_until = EXCLUDED.streaming_until"
    "  WHERE s.streaming_until IS NULL OR s.streaming_until <= clock_timestamp()"
    "        OR s.streaming_reply = EXCLUDED.streaming_reply"
    "  RETURNING 1),"
    " newest AS ("
    "  SELECT id, contents = $4 AS same FROM chats"
    "  WHERE session_uuid = $1 AND message_type = 'user' ORDER BY id DESC LIMIT 1),"
    " superseded AS ("
    "  UPDATE chats SET superseded_at = clock_timestamp()"
    "  WHERE $5::boolean AND EXISTS (SELECT 1 FROM claim) AND session_uuid = $1"
    "    AND message_type = 'assistant' AND superseded_at IS NULL"
    "    AND id > (SELECT id FROM newest WHERE same) RETURNING id),"
    " inserted AS ("
    "  INSERT INTO chats (timestamp, session_uuid, message_type, contents)"
    "  SELECT clock_timestamp(), $1, 'user', $4"
    "  WHERE EXISTS (SELECT 1 FROM claim)"
    "    AND NOT ($5::boolean AND EXISTS (SELECT 1 FROM newest WHERE same))"
    "  RETURNING id)"
    " SELECT (SELECT yes FROM busy), EXISTS (SELECT 1 FROM admitted), EXISTS (SELECT 1 FROM claim),"
    "  (SELECT count(*) FROM inserted), (SELECT count(*) FROM superseded),"
    "  COALESCE((SELECT tokens FROM admitted), 0), (SELECT day FROM reserve),"
    "  COALESCE((SELECT input_tokens + cache_creation_tokens + cache_read_tokens + output_tokens"
    "            FROM token_usage WHERE day = (now() AT TIME ZONE 'UTC')::date), 0),"
    "  CEIL(EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC')::date + 1)"
    "       - (now() AT TIME ZONE 'UTC')))::bigint";

// The newest messages first, as many as fit in $2 bytes (at least one), with the count of
// all of them; after the write above, so the question is the newest.
const char* const kRecentHistorySql =
    "SELECT message_type, contents, outcome, total FROM ("
    "  SELECT id, message_type, contents, outcome, count(*) OVER () AS total,"
    "         sum(octet_length(contents)) OVER (ORDER BY id DESC) - octet_length(contents) AS newer"
    "  FROM chats WHERE session_uuid = $1 AND superseded_at IS NULL) h"
    " WHERE newer < $2::bigint ORDER BY id DESC LIMIT 2000";

const char* const kReleaseReservationSql =
    "UPDATE token_usage SET reserved_tokens = GREATEST(0, reserved_tokens - $2::bigint)"
    " WHERE day = $1::date";

namespace {

int64_t int_at(const PGresult* result, int row, int column) {
  return std::strtoll(PQgetvalue(result, row, column), nullptr, 10);
}

void read_recent_history(const PGresult* result, ChatStart& start) {
  const int rows = PQntuples(result);
  start.history.resize(static_cast<size_t>(rows));
  for (int row = 0; row < rows; ++row) {  // newest first in the result
    StoredMessage& m = start.history[static_cast<size_t>(rows - 1 - row)];
    m = {text_at(result, row, 0), text_at(result, row, 1), false, text_at(result, row, 2)};
  }
  if (rows > 0) start.older_messages = static_cast<size_t>(int_at(result, 0, 3) - rows);
}

}  // namespace

Result<ChatStart> start_chat(DbPool& pool, const ChatStartRequest& r) {
  DbLease lease = pool.acquire();
  if (!lease) return Status::Error(lease.error());
  const std::string regenerate = r.regenerate ? "true" : "false";
  std::vector<PgResultPtr> results = lease.exec_all(
      {{"SELECT resume, jd FROM documents WHERE name = $1 LIMIT 1", {r.document_name}},
       {kStartChatSql,
        {r.session_uuid, r.document_name, r.reply_uuid, r.question, regenerate,
         std::to_string(r.max_tokens), std::to_string(r.history_bytes),
         std::to_string(r.daily_budget), std::to_string(r.claim_seconds)}},
       {kRecentHistorySql, {r.session_uuid, std::to_string(r.history_bytes)}}});
  for (const PgResultPtr& result : results) {
    if (!result_ok(result.get())) {
      const PGresult* failed = result ? result.get() : nullptr;
      return Status::Error(last_error(lease.get(), failed));
    }
  }
  ChatStart start;
  const PGresult* doc = results[0].get();
  const PGresult* write = results[1].get();
  if (PQntuples(doc) == 0) {
    start.verdict = ChatStartVerdict::kNoDocument;
    return start;
  }
  start.document = {r.document_name, text_at(doc, 0, 0), text_at(doc, 0, 1)};
  const bool busy = text_at(write, 0, 0) == "t", admitted = text_at(write, 0, 1) == "t",
             claimed = text_at(write, 0, 2) == "t";
  start.question_stored = int_at(write, 0, 3) == 1;
  start.superseded = static_cast<int>(int_at(write, 0, 4));
  start.reserved_day = text_at(write, 0, 6);
  start.reserved = start.reserved_day.empty() ? 0 : int_at(write, 0, 5);
  start.used_today = int_at(write, 0, 7);
  start.seconds_to_reset = int_at(write, 0, 8);
  if (claimed) {
    read_recent_history(results[2].get(), start);
    return start;
  }
  start.verdict = busy || admitted ? ChatStartVerdict::kSessionBusy : ChatStartVerdict::kOverBudget;
  if (start.reserved > 0) {  // reserved, then lost the claim to another worker: give it back
    PgResultPtr released =
        lease.exec(kReleaseReservationSql, {start.reserved_day, std::to_string(start.reserved)});
    start.reserved = 0;
  }
  return start;
}

Status test_connection(DbPool& pool) {
  std::string error;
  PgResultPtr result = run_read(pool, "SELECT 1", {}, error);
  return result ? Status::Ok() : Status::Error(error);
}

}  // namespace resume_chat
