// Reading sessions from chats + sessions, and writing them as Markdown.
#include "resume_chat/transcript.h"

namespace resume_chat {
namespace {

const char* const kTime = "to_char(c.timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')";

// Rows of (session_uuid, document_name, message_type, contents, time), grouped by session in
// the order they come.
TranscriptLoad load(DbPool& pool, const std::string& sql, const std::string& param) {
  TranscriptLoad load;
  DbLease lease = pool.acquire();
  if (!lease) {
    load.error = lease.error();
    return load;
  }
  PgResultPtr result = exec_params(lease.get(), sql.c_str(), {param});
  if (!result_ok(result.get())) {
    load.error = last_error(lease.get(), result.get());
    return load;
  }
  const PGresult* rows = result.get();
  for (int row = 0; row < PQntuples(rows); ++row) {
    std::string uuid = PQgetvalue(rows, row, 0);
    if (load.sessions.empty() || load.sessions.back().session_uuid != uuid) {
      load.sessions.push_back({uuid, PQgetvalue(rows, row, 1), {}});
    }
    load.sessions.back().messages.push_back(
        {PQgetvalue(rows, row, 2),
         std::string(PQgetvalue(rows, row, 3), static_cast<size_t>(PQgetlength(rows, row, 3))),
         std::string(PQgetvalue(rows, row, 4)) + " UTC"});
  }
  load.ok = true;
  return load;
}

std::string role_title(const std::string& role) {
  if (role == "user") return "User";
  if (role == "assistant") return "Assistant";
  if (role == "system") return "System";
  return role;
}

std::string heading(int level, const std::string& text) {
  return std::string(static_cast<size_t>(level), '#') + " " + text + "\n\n";
}

}  // namespace

TranscriptLoad load_session_transcript(DbPool& pool, const std::string& session_uuid) {
  return load(pool,
              std::string("SELECT c.session_uuid, COALESCE(s.document_name, ''), "
                          "c.message_type, c.contents, ") + kTime +
                  " FROM chats c LEFT JOIN sessions s ON s.session_uuid = c.session_uuid "
                  "WHERE c.session_uuid = $1::uuid ORDER BY c.timestamp, c.id",
              session_uuid);
}

TranscriptLoad load_document_transcripts(DbPool& pool, const std::string& document_name) {
  return load(pool,
              std::string("SELECT c.session_uuid, s.document_name, c.message_type, c.contents, ") +
                  kTime +
                  " FROM sessions s JOIN chats c ON c.session_uuid = s.session_uuid "
                  "WHERE s.document_name = $1 "
                  "ORDER BY s.created_at DESC, s.session_uuid, c.timestamp, c.id",
              document_name);
}

std::string render_transcript(const SessionTranscript& session, int level) {
  std::string out = heading(level, level == 1 ? "Transcript of session " + session.session_uuid
                                              : "Session " + session.session_uuid);
  out += "- Document: " +
         (session.document_name.empty() ? std::string("unknown (stored before sessions were recorded)")
                                        : session.document_name) + "\n";
  if (!session.messages.empty()) {
    out += "- Started: " + session.messages.front().time + "\n";
    out += "- Last message: " + session.messages.back().time + "\n";
  }
  out += "- Messages: " + std::to_string(session.messages.size()) + "\n\n";
  for (const TranscriptMessage& message : session.messages) {
    out += heading(level + 1, role_title(message.role) + " · " + message.time);
    out += message.contents;
    out += "\n\n";
  }
  return out;
}

std::string render_document_transcripts(const std::string& document_name,
                                        const std::vector<SessionTranscript>& sessions) {
  std::string out = heading(1, "Transcripts of " + document_name);
  out += std::to_string(sessions.size()) + (sessions.size() == 1 ? " session" : " sessions") +
         ", newest first.\n\n";
  for (const SessionTranscript& session : sessions) out += render_transcript(session, 2);
  return out;
}

}  // namespace resume_chat
