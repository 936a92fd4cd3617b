// The startup check of the migrations' tables and grants, in one round trip.
#include "resume_chat/schema.h"

#include <iterator>

namespace resume_chat {
namespace {

// For each migration's part, in order: 'missing', 'denied' (the role lacks a grant it
// needs) or 'ok'.
const char* const kSchemaSql =
    "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'chats'::regclass "
    "AND attname = 'superseded_at' AND NOT attisdropped) THEN 'missing' "
    "WHEN has_column_privilege('chats', 'superseded_at', 'UPDATE') THEN 'ok' ELSE 'denied' END, "
    "CASE WHEN to_regclass('token_usage') IS NULL THEN 'missing' "
    "WHEN has_table_privilege('token_usage', 'SELECT') AND has_table_privilege('token_usage', "
    "'INSERT') AND has_table_privilege('token_usage', 'UPDATE') THEN 'ok' ELSE 'denied' END, "
    "CASE WHEN to_regclass('sessions') IS NULL THEN 'missing' "
    "WHEN has_table_privilege('sessions', 'INSERT') THEN 'ok' ELSE 'denied' END, "
    "CASE WHEN NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'chats'::regclass "
    "AND attname = 'reply_uuid' AND NOT attisdropped) OR to_regclass('sessions') IS NULL "
    "OR NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('sessions') "
    "AND attname = 'streaming_reply' AND NOT attisdropped) "
    "OR NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('token_usage') "
    "AND attname = 'reserved_tokens' AND NOT attisdropped) THEN 'missing' "
    "WHEN has_column_privilege('sessions', 'streaming_reply', 'UPDATE') AND "
    "has_column_privilege('sessions', 'streaming_until', 'UPDATE') AND "
    "has_column_privilege('sessions', 'streaming_until', 'SELECT') AND "
    "has_column_privilege('sessions', 'session_uuid', 'SELECT') THEN 'ok' ELSE 'denied' END";

struct Requirement {
  const char* what;
  const char* migration;
};
const Requirement kRequired[] = {{"column chats.superseded_at", "migrations/003_superseded_replies.sql"},
                                 {"table token_usage", "migrations/004_token_usage.sql"},
                                 {"table sessions", "migrations/005_sessions.sql"},
                                 {"reply outcomes and session claims",
                                  "migrations/006_reply_outcomes.sql"}};

}  // namespace

Status check_schema(DbPool& pool) {
  DbLease lease = pool.acquire();
  if (!lease) return Status::Error("cannot check the database schema: " + lease.error());
  PgResultPtr result = lease.exec(kSchemaSql, {});
  if (!result_ok(result.get()) || PQntuples(result.get()) != 1) {
    return Status::Error("cannot check the database schema: " + last_error(lease.get(), result.get()));
  }
  for (int i = 0; i < static_cast<int>(std::size(kRequired)); ++i) {
    const std::string state = PQgetvalue(result.get(), 0, i);
    const Requirement& need = kRequired[i];
    if (state == "missing") {
      return Status::Error(std::string("the database has no ") + need.what + ": apply " +
                           need.migration + " as the tables' owner (docs/operating.md, \"Upgrading\")");
    }
    if (state == "denied") {
      return Status::Error(std::string("the worker's role lacks its grants on ") + need.what +
                           ": apply " + need.migration +
                           " with -v app_user=ROLE, or run migrations/002_app_role.sql again");
    }
  }
  return Status::Ok();
}

}  // namespace resume_chat
