// Stored conversations as Markdown, for `resume-chat transcript`: one session by its UUID,
// or every session of a document, newest first. Messages come from `chats` (with how each
// reply ended, migrations/006_reply_outcomes.sql); which document a session belongs to comes
// from `sessions` (migrations/005_sessions.sql), so a session stored before that migration
// shows its document as unknown; the candidate and the role are the first short lines of the
// document's resume and job description, when the document still exists.
//
// A transcript cannot be forged from inside a message: every message is a block quote, a
// user's heading marks are escaped, a reply's own headings are demoted below the turn
// headings, and control, bidi and zero-width characters are shown escaped (\u202E).
#ifndef RESUME_CHAT_TRANSCRIPT_H_
#define RESUME_CHAT_TRANSCRIPT_H_

#include <string>
#include <string_view>
#include <vector>

#include "resume_chat/db_pool.h"

#include "resume_chat/utf8.h"  // escape_invisible, for the transcript's callers

namespace resume_chat {

struct TranscriptMessage {
  std::string role;      // chats.message_type: "user", "assistant" or "system"
  std::string contents;
  std::string time;      // "YYYY-MM-DD HH:MM:SS UTC"
  std::string outcome;   // chats.outcome: "" (user rows, or stored before 006) or
                         // complete | max_tokens | stopped | failed | shutdown
  bool superseded = false;  // a reply answered again (Retry/Regenerate)
};

struct SessionTranscript {
  std::string session_uuid;
  std::string document_name;  // empty: unknown
  std::vector<TranscriptMessage> messages;  // oldest first
  std::string candidate, role;  // empty: unknown
};

struct TranscriptLoad {
  bool ok = false;
  std::vector<SessionTranscript> sessions;  // empty when nothing is stored
  std::string error;
};

TranscriptLoad load_session_transcript(DbPool& pool, const std::string& session_uuid);
TranscriptLoad load_document_transcripts(DbPool& pool, const std::string& document_name);

// One session: a heading, its candidate, role, document, times and message count, then each
// message under a heading naming its role and time, quoted, with how an unfinished reply
// ended. `level` is the session heading's level (1 or 2).
std::string render_transcript(const SessionTranscript& session, int level = 1);

// Every session of a document under one title, in the order given.
std::string render_document_transcripts(const std::string& document_name,
                                        const std::vector<SessionTranscript>& sessions);


// A message's text as a Markdown block quote in which no line reads as a heading above
// `min_heading_level`: a user's text has its heading marks escaped; a reply's headings are
// demoted to at least that level (code blocks left alone).
std::string quote_message(std::string_view text, bool is_reply, int min_heading_level);

}  // namespace resume_chat

#endif  // RESUME_CHAT_TRANSCRIPT_H_
