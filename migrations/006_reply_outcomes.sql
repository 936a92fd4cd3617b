-- How each reply ended, stored once, and where every worker can see a session's live reply.
--   chats.outcome      how an assistant row's reply ended (NULL on user rows):
--                      complete    the API ended the message
--                      max_tokens  cut by the token limit (CLAUDE_MAX_TOKENS)
--                      stopped     the reader left: Stop, a closed tab
--                      failed      the API or the network failed mid-way, the idle timeout,
--                                  a reader too slow
--                      shutdown    the worker stopped it (SIGTERM after SHUTDOWN_GRACE_S)
--                      Rows stored before this migration stay NULL: read as complete.
--   chats.reply_uuid   made when a reply starts: storing it twice (a retry after a connection
--                      lost at COMMIT) inserts nothing the second time.
--   sessions.streaming_reply, streaming_until
--                      the reply streaming in a session now, claimed in the statement that
--                      stores the question and released in the one that stores the reply;
--                      the expiry frees a session whose worker died. One live reply per
--                      session across every worker behind an nginx upstream.
--   token_usage.reserved_tokens
--                      the worst case (input estimate + max_tokens) of the replies streaming
--                      now, so a burst of chats cannot overshoot DAILY_TOKEN_BUDGET; settled
--                      by each reply's real usage when it is stored.
-- Additive: existing columns and rows are untouched. Run as the owner of the tables, after
-- 003, 004 and 005, with the worker's role:
--   psql -v app_user=resume_chat_app -f migrations/006_reply_outcomes.sql
-- (002_app_role.sql grants the same when run again). Safe to run again. The worker refuses to
-- start without these columns and grants (docs/operating.md, "Upgrading").
ALTER TABLE chats ADD COLUMN IF NOT EXISTS outcome TEXT;
ALTER TABLE chats ADD COLUMN IF NOT EXISTS reply_uuid UUID;
DO $$
BEGIN
  ALTER TABLE chats ADD CONSTRAINT chats_outcome_values
    CHECK (outcome IN ('complete', 'max_tokens', 'stopped', 'failed', 'shutdown'));
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
-- NULLs are distinct: user rows and rows from before this migration do not collide.
CREATE UNIQUE INDEX IF NOT EXISTS idx_chats_reply_uuid ON chats (reply_uuid);

ALTER TABLE sessions ADD COLUMN IF NOT EXISTS streaming_reply UUID;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS streaming_until TIMESTAMP WITH TIME ZONE;

ALTER TABLE token_usage ADD COLUMN IF NOT EXISTS reserved_tokens BIGINT NOT NULL DEFAULT 0;

\if :{?app_user}
-- chats: INSERT (every column) is 002's table grant. sessions: the claim reads and sets its
-- two columns (and finds its row by session_uuid); nothing else of a session may change.
GRANT SELECT (session_uuid, streaming_reply, streaming_until) ON sessions TO :"app_user";
GRANT UPDATE (streaming_reply, streaming_until) ON sessions TO :"app_user";
\endif
