-- The daily token budget (DAILY_TOKEN_BUDGET): the tokens Claude reported for the replies
-- of each UTC day, added up by every worker as its replies finish. One row per day, so
-- the count survives restarts and holds across workers and hosts. Additive: the seed's
-- tables are untouched. Run as the owner of the tables, after 001_create_tables.sql:
--   psql -v app_user=resume_chat_app -f migrations/004_token_usage.sql
-- (app_user: the worker's role, granted what it needs here; 002_app_role.sql grants the
-- same when it is run again, so the order of the two does not matter). Safe to run again.
CREATE TABLE IF NOT EXISTS token_usage (
    day DATE PRIMARY KEY,                         -- the UTC day
    input_tokens BIGINT NOT NULL DEFAULT 0,       -- usage.input_tokens
    cache_creation_tokens BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    replies BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

\if :{?app_user}
GRANT SELECT, INSERT, UPDATE ON token_usage TO :"app_user";
\endif
