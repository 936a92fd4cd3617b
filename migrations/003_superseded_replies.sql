-- Regenerate (docs/architecture.md, "The /chat contract"): when the user asks Claude to answer a question
-- again (Retry after a failed or stopped reply), the earlier reply stays stored for the
-- record but is marked superseded, and is no longer sent back to Claude as history.
-- Additive: the seed's columns stay, and every existing row stays NULL (in the history).
-- Run as the owner of chats, after 002_app_role.sql, with the same app_user:
--   psql -v app_user=resume_chat_app -f migrations/003_superseded_replies.sql
-- Safe to run again. The worker refuses to start without this column and its grant.
ALTER TABLE chats ADD COLUMN IF NOT EXISTS superseded_at TIMESTAMP WITH TIME ZONE;

-- The worker marks replies and changes nothing else: UPDATE on this one column only (it
-- still cannot change a message's text, type, session or time, nor delete a row).
GRANT UPDATE (superseded_at) ON chats TO :"app_user";
