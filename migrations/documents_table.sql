-- The documents table, as the seed specifies it. Normally another application creates and
-- manages it, and resume-chat never runs this file. Only where no other application does:
-- create it once, as the owner of the tables, before 002_app_role.sql, and fill it with
-- `resume-chat documents put NAME RESUME_FILE JD_FILE`. The tests and the demo run it too,
-- standing in for that application. Safe to run again.
CREATE TABLE IF NOT EXISTS documents (
    id SERIAL PRIMARY KEY,
    name VARCHAR(255) UNIQUE NOT NULL,
    resume TEXT,
    jd TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_documents_name ON documents(name);
