// Stored conversations as Markdown, for `resume-chat transcript`: one session by its UUID,
// or every session of a document, newest first. Messages come from `chats`; which document
// a session belongs to comes from `sessions` (migrations/005_sessions.sql), so a session
// stored before that migration shows its document as unknown.
#ifndef RESUME_CHAT_TRANSCRIPT_H_
#define RESUME_CHAT_TRANSCRIPT_H_

#include <string>
#include <vector>

#include "resume_chat/db_pool.h"

namespace resume_chat {

struct TranscriptMessage {
  std::string role;      // chats.message_type: "user", "assistant" or "system"
  std::string contents;
  std::string time;      // "YYYY-MM-DD HH:MM:SS UTC"
};

struct SessionTranscript {
  std::string session_uuid;
  std::string document_name;  // empty: unknown
  std::vector<TranscriptMessage> messages;  // oldest first
};

struct TranscriptLoad {
  bool ok = false;
  std::vector<SessionTranscript> sessions;  // empty when nothing is stored
  std::string error;
};

TranscriptLoad load_session_transcript(DbPool& pool, const std::string& session_uuid);
TranscriptLoad load_document_transcripts(DbPool& pool, const std::string& document_name);

// One session: a heading, its document, times and message count, then each message under a
// heading naming its role and time. `level` is the session heading's level (1 or 2).
std::string render_transcript(const SessionTranscript& session, int level = 1);

// Every session of a document under one title, in the order given.
std::string render_document_transcripts(const std::string& document_name,
                                        const std::vector<SessionTranscript>& sessions);

}  // namespace resume_chat

#endif  // RESUME_CHAT_TRANSCRIPT_H_
