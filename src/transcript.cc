// Reading sessions from chats + sessions (+ documents for the candidate and role), and
// writing them as Markdown that no message can forge (transcript.h).
#include "resume_chat/transcript.h"

#include <cstdio>

#include "resume_chat/document_layout.h"
#include "resume_chat/utf8.h"

namespace resume_chat {
namespace {

const char* const kTime = "to_char(c.timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')";
// The columns every load reads, in this order.
const char* const kColumns =
    ", c.message_type, c.contents, %TIME%, COALESCE(c.outcome, ''), c.superseded_at IS NOT NULL, "
    "COALESCE(left(d.resume, 2000), ''), COALESCE(left(d.jd, 2000), '')";

std::string columns() {
  std::string text = kColumns;
  text.replace(text.find("%TIME%"), 6, kTime);
  return text;
}

std::string value(const PGresult* rows, int row, int column) {
  return std::string(PQgetvalue(rows, row, column), static_cast<size_t>(PQgetlength(rows, row, column)));
}

// Rows of (session_uuid, document_name, the columns above), grouped by session in the order
// they come.
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
    std::string uuid = value(rows, row, 0);
    if (load.sessions.empty() || load.sessions.back().session_uuid != uuid) {
      SessionTranscript session{uuid, value(rows, row, 1), {}, "", ""};
      session.candidate = document_title(value(rows, row, 7));
      session.role = document_title(value(rows, row, 8), 120);
      load.sessions.push_back(std::move(session));
    }
    load.sessions.back().messages.push_back({value(rows, row, 2), value(rows, row, 3),
                                             value(rows, row, 4) + " UTC", value(rows, row, 5),
                                             value(rows, row, 6) == "t"});
  }
  load.ok = true;
  return load;
}

std::string role_title(const std::string& role) {
  if (role == "user") return "User";
  if (role == "assistant") return "Assistant";
  if (role == "system") return "System";
  return escape_invisible(role);
}

std::string heading(int level, const std::string& text) {
  return std::string(static_cast<size_t>(level), '#') + " " + text + "\n\n";
}

// How a reply that did not complete ended, in words; "" for a complete one.
std::string ending(const TranscriptMessage& message) {
  std::string note;
  if (message.outcome == "max_tokens") note = "The reply reached its length limit and ends there.";
  else if (message.outcome == "stopped") note = "Stopped before the end: the reader stopped it or left.";
  else if (message.outcome == "failed") note = "Failed before the end (an error from Claude or the network).";
  else if (message.outcome == "shutdown") note = "Cut short: the server was restarting.";
  if (message.superseded) {
    note += std::string(note.empty() ? "" : " ") + "Answered again below (Retry or Regenerate).";
  }
  return note;
}


// The text of a line after up to three spaces of indentation.
std::string_view after_indent(std::string_view line) {
  size_t spaces = 0;
  while (spaces < line.size() && spaces < 3 && line[spaces] == ' ') ++spaces;
  return line.substr(spaces);
}

bool is_fence(std::string_view line) {
  std::string_view t = after_indent(line);
  return t.substr(0, 3) == "```" || t.substr(0, 3) == "~~~";
}

// A setext underline ("===" or "---" under a line of text makes that line a heading).
bool is_underline(std::string_view line) {
  std::string_view t = after_indent(line);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return !t.empty() && t.find_first_not_of(t[0]) == std::string_view::npos && (t[0] == '=' || t[0] == '-');
}

}  // namespace


std::string quote_message(std::string_view text, bool is_reply, int min_heading_level) {
  std::string out;
  bool in_code = false;
  std::string_view previous;
  while (!text.empty() || out.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    std::string shown(line);
    if (is_fence(line)) {
      in_code = !in_code;
    } else if (!in_code) {
      std::string_view t = after_indent(line);
      size_t hashes = t.find_first_not_of('#');
      bool atx = hashes > 0 && hashes <= 6 && (hashes == t.size() || t[hashes] == ' ');
      if (atx && is_reply) {
        int level = std::min(6, static_cast<int>(hashes) + min_heading_level - 1);
        shown = std::string(static_cast<size_t>(level), '#') + std::string(t.substr(hashes));
      } else if (atx) {
        shown = "\\" + std::string(t);
      } else if (is_underline(line) && !previous.empty() && previous.find_first_not_of(' ') != std::string_view::npos) {
        shown = "\\" + std::string(after_indent(line));  // not an underline: the line above stays text
      }
    }
    out += shown.empty() ? ">\n" : "> " + shown + "\n";
    previous = line;
    if (end == std::string_view::npos) break;
  }
  return out;
}

TranscriptLoad load_session_transcript(DbPool& pool, const std::string& session_uuid) {
  return load(pool,
              "SELECT c.session_uuid, COALESCE(s.document_name, '')" + columns() +
                  " FROM chats c LEFT JOIN sessions s ON s.session_uuid = c.session_uuid "
                  "LEFT JOIN documents d ON d.name = s.document_name "
                  "WHERE c.session_uuid = $1::uuid ORDER BY c.timestamp, c.id",
              session_uuid);
}

TranscriptLoad load_document_transcripts(DbPool& pool, const std::string& document_name) {
  return load(pool,
              "SELECT c.session_uuid, s.document_name" + columns() +
                  " FROM sessions s JOIN chats c ON c.session_uuid = s.session_uuid "
                  "LEFT JOIN documents d ON d.name = s.document_name "
                  "WHERE s.document_name = $1 "
                  "ORDER BY s.created_at DESC, s.session_uuid, c.timestamp, c.id",
              document_name);
}

std::string render_transcript(const SessionTranscript& session, int level) {
  std::string out = heading(level, level == 1 ? "Transcript of session " + session.session_uuid
                                              : "Session " + session.session_uuid);
  out += "- Document: " +
         (session.document_name.empty() ? std::string("unknown (stored before sessions were recorded)")
                                        : escape_invisible(session.document_name)) + "\n";
  if (!session.messages.empty()) {
    out += "- Started: " + session.messages.front().time + "\n";
    out += "- Last message: " + session.messages.back().time + "\n";
  }
  out += "- Messages: " + std::to_string(session.messages.size()) + "\n";
  // After the lines scripts already read (tests/ops), in the same list at the top.
  if (!session.candidate.empty()) out += "- Candidate: " + escape_invisible(session.candidate) + "\n";
  if (!session.role.empty()) out += "- Role: " + escape_invisible(session.role) + "\n";
  out += "\n";
  for (const TranscriptMessage& message : session.messages) {
    out += heading(level + 1, role_title(message.role) + " · " + message.time);
    out += quote_message(escape_invisible(message.contents), message.role != "user", level + 2);
    std::string note = ending(message);
    if (!note.empty()) out += "\n_" + note + "_\n";
    out += "\n";
  }
  return out;
}

std::string render_document_transcripts(const std::string& document_name,
                                        const std::vector<SessionTranscript>& sessions) {
  std::string out = heading(1, "Transcripts of " + escape_invisible(document_name));
  out += std::to_string(sessions.size()) + (sessions.size() == 1 ? " session" : " sessions") +
         ", newest first.\n\n";
  for (const SessionTranscript& session : sessions) out += render_transcript(session, 2);
  return out;
}

}  // namespace resume_chat
