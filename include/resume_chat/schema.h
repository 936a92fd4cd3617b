// What the worker needs of the database beyond a connection: what the migrations after the
// seed's add (003 chats.superseded_at, 004 token_usage, 005 sessions, 006 reply outcomes and
// session claims) and its role's grants
// on them. Checked at startup in one round trip, so a deployment that skipped a migration
// stops with the fix instead of failing every chat.
#ifndef RESUME_CHAT_SCHEMA_H_
#define RESUME_CHAT_SCHEMA_H_

#include <string>

#include "resume_chat/db_pool.h"

namespace resume_chat {

// Ok when everything is there; else one line naming what is missing and the migration to apply.
Status check_schema(DbPool& pool);

}  // namespace resume_chat

#endif  // RESUME_CHAT_SCHEMA_H_
