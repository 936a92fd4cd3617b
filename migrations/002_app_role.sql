-- The least-privilege role resume-chat runs as (the seed's "limit database user permissions
-- to required tables only"): it reads documents, appends to chats, records which document
-- a session belongs to (sessions) and adds up the day's tokens (token_usage); the only change
-- it may make to a stored row is marking a reply superseded (003_superseded_replies.sql).
-- Run as the owner of the tables, after 001_create_tables.sql (and 003-006 if applied:
-- their grants are given here too, so running this again never takes them away):
--   psql -v app_user=resume_chat_app -v app_password='…' -f migrations/002_app_role.sql
-- then set DATABASE_USER/DATABASE_PASSWORD to that role. Safe to run again.
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app_user', :'app_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
ALTER ROLE :"app_user" PASSWORD :'app_password';

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"app_user";
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM :"app_user";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_user";
GRANT SELECT ON documents TO :"app_user";
GRANT SELECT, INSERT ON chats TO :"app_user";
GRANT USAGE ON SEQUENCE chats_id_seq TO :"app_user";
-- Marking superseded replies (003_superseded_replies.sql), once that column exists: the
-- REVOKE above drops column grants too, so running this file again keeps it.
SELECT format('GRANT UPDATE (superseded_at) ON chats TO %I', :'app_user')
WHERE EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'chats'::regclass
              AND attname = 'superseded_at' AND NOT attisdropped) \gexec
SELECT format('GRANT SELECT, INSERT, UPDATE ON token_usage TO %I', :'app_user')
WHERE to_regclass('token_usage') IS NOT NULL \gexec
SELECT format('GRANT INSERT ON sessions TO %I', :'app_user')
WHERE to_regclass('sessions') IS NOT NULL \gexec
-- The session claim (006_reply_outcomes.sql), once its columns exist.
SELECT format('GRANT SELECT (session_uuid, streaming_reply, streaming_until), '
              'UPDATE (streaming_reply, streaming_until) ON sessions TO %I', :'app_user')
WHERE EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'sessions'::regclass
              AND attname = 'streaming_reply' AND NOT attisdropped) \gexec
-- A runaway statement must not hold one of the pool's few connections (works through
-- PgBouncer, unlike a startup option).
ALTER ROLE :"app_user" SET statement_timeout = '10s';
