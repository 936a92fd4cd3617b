-- Which document each chat session belongs to: `chats` holds only the session's UUID, and
-- the document name lived only in the page's signed session token. The worker writes a
-- row when it stores a session's first message (later ones leave it as it is), so
-- `resume-chat transcript --document NAME` and `documents list` can find a document's
-- sessions. No foreign key: the documents table belongs to another application, and a
-- deleted document's transcripts stay readable. Sessions stored before this migration
-- have no row: their transcripts show the document as unknown. Additive; run as the
-- owner of the tables, after 001_create_tables.sql:
--   psql -v app_user=resume_chat_app -f migrations/005_sessions.sql
-- (002_app_role.sql grants the same when run again). Safe to run again.
CREATE TABLE IF NOT EXISTS sessions (
    session_uuid UUID PRIMARY KEY,
    document_name VARCHAR(255) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_sessions_document_name ON sessions(document_name, created_at);

\if :{?app_user}
GRANT INSERT ON sessions TO :"app_user";
\endif
