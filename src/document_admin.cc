// SQL of `resume-chat documents`; parameterized statements only. Which names may be stored.
#include "resume_chat/document_admin.h"

#include <cstdio>
#include <cstdlib>

#include "resume_chat/chat_store.h"
#include "resume_chat/utf8.h"

namespace resume_chat {
namespace {

int64_t number_at(const PGresult* result, int row, int column) {
  return std::strtoll(PQgetvalue(result, row, column), nullptr, 10);
}

struct Invisible {
  char32_t code = 0;
  const char* name = "";
  const char* kind = "";
};

// The characters a name must not have: they hide or reorder what an operator reads.
// Unicode names from the standard's charts; "" where the standard gives none.
Invisible classify(char32_t c) {
  static const struct { char32_t code; const char* name; } kNamed[] = {
      {0x00, "NULL"}, {0x07, "BELL"}, {0x08, "BACKSPACE"}, {0x09, "CHARACTER TABULATION"},
      {0x0A, "LINE FEED"}, {0x0B, "LINE TABULATION"}, {0x0C, "FORM FEED"},
      {0x0D, "CARRIAGE RETURN"}, {0x1B, "ESCAPE"}, {0x7F, "DELETE"}, {0x85, "NEXT LINE"},
      {0x9B, "CONTROL SEQUENCE INTRODUCER"}, {0xAD, "SOFT HYPHEN"},
      {0x34F, "COMBINING GRAPHEME JOINER"}, {0x61C, "ARABIC LETTER MARK"},
      {0x180E, "MONGOLIAN VOWEL SEPARATOR"}, {0x200B, "ZERO WIDTH SPACE"},
      {0x200C, "ZERO WIDTH NON-JOINER"}, {0x200D, "ZERO WIDTH JOINER"},
      {0x200E, "LEFT-TO-RIGHT MARK"}, {0x200F, "RIGHT-TO-LEFT MARK"},
      {0x2028, "LINE SEPARATOR"}, {0x2029, "PARAGRAPH SEPARATOR"},
      {0x202A, "LEFT-TO-RIGHT EMBEDDING"}, {0x202B, "RIGHT-TO-LEFT EMBEDDING"},
      {0x202C, "POP DIRECTIONAL FORMATTING"}, {0x202D, "LEFT-TO-RIGHT OVERRIDE"},
      {0x202E, "RIGHT-TO-LEFT OVERRIDE"}, {0x2060, "WORD JOINER"},
      {0x2066, "LEFT-TO-RIGHT ISOLATE"}, {0x2067, "RIGHT-TO-LEFT ISOLATE"},
      {0x2068, "FIRST STRONG ISOLATE"}, {0x2069, "POP DIRECTIONAL ISOLATE"},
      {0xFEFF, "ZERO WIDTH NO-BREAK SPACE"},
  };
  const char* name = "";
  for (const auto& named : kNamed) {
    if (named.code == c) name = named.name;
  }
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return {c, name, "a control character"};
  if (c == 0x61C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
      (c >= 0x2066 && c <= 0x2069)) {
    return {c, name, "a bidi control"};
  }
  if ((c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF || c == 0x180E || c == 0x34F) {
    return {c, name, "a zero-width character"};
  }
  if (c == 0xAD || c == 0x2028 || c == 0x2029 || (c >= 0x2061 && c <= 0x2064) ||
      (c >= 0x206A && c <= 0x206F) || (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0xE0000 && c <= 0xE007F)) {
    return {c, name, "an invisible character"};
  }
  return {};
}

// The first character of valid UTF-8 `name` that `refused` says no to, described with its
// place; "" when there is none.
std::string first_refused(const std::string& name, bool (*refused)(const Invisible&)) {
  size_t position = 0;
  for (size_t i = 0; i < name.size(); ++position) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(name[i + k]); };
    unsigned b0 = byte(0);
    size_t length = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
    char32_t c = b0;
    if (length == 2) c = ((b0 & 0x1Fu) << 6) | (byte(1) & 0x3Fu);
    if (length == 3) c = ((b0 & 0x0Fu) << 12) | ((byte(1) & 0x3Fu) << 6) | (byte(2) & 0x3Fu);
    if (length == 4) c = ((b0 & 0x07u) << 18) | ((byte(1) & 0x3Fu) << 12) | ((byte(2) & 0x3Fu) << 6) | (byte(3) & 0x3Fu);
    i += length;
    Invisible found = classify(c);
    if (*found.kind == '\0' || !refused(found)) continue;
    char code[16];
    std::snprintf(code, sizeof(code), "U+%04X", static_cast<unsigned>(c));
    return std::string("NAME has ") + code + (*found.name ? std::string(" ") + found.name : "") +
           " (" + found.kind + ") at character " + std::to_string(position + 1) + " of " +
           std::to_string(utf8_length(name)) + ": a name must be visible text";
  }
  return "";
}

bool is_c0_control(const Invisible& found) { return found.code < 0x20 || found.code == 0x7F; }
bool is_any(const Invisible&) { return true; }

}  // namespace

std::string document_name_problem(const std::string& name) {
  if (name.empty()) return "NAME is empty";
  if (!is_valid_utf8(name)) return "NAME is not valid UTF-8";
  if (std::string problem = first_refused(name, is_c0_control); !problem.empty()) return problem;
  size_t chars = utf8_length(name);
  if (chars > kMaxDocumentNameChars) {
    return "NAME has " + std::to_string(chars) + " characters, more than the " +
           std::to_string(kMaxDocumentNameChars) + " of documents.name";
  }
  return "";
}

std::string new_document_name_problem(const std::string& name) {
  if (std::string problem = document_name_problem(name); !problem.empty()) return problem;
  return first_refused(name, is_any);
}

DocumentWrite put_document(DbPool& pool, const std::string& name, const std::string& resume,
                           const std::string& jd) {
  DocumentWrite write;
  DbLease lease = pool.acquire();
  if (!lease) {
    write.error = lease.error();
    return write;
  }
  // xmax is 0 only in a row this statement inserted: it tells created from replaced.
  PgResultPtr result = exec_params(
      lease.get(),
      "INSERT INTO documents AS d (name, resume, jd) VALUES ($1, $2, $3) "
      "ON CONFLICT (name) DO UPDATE SET resume = EXCLUDED.resume, jd = EXCLUDED.jd, "
      "updated_at = CURRENT_TIMESTAMP RETURNING (d.xmax = 0)",
      {name, resume, jd});
  if (!result_ok(result.get()) || PQntuples(result.get()) != 1) {
    write.error = last_error(lease.get(), result.get());
    return write;
  }
  write.ok = true;
  write.created = std::string(PQgetvalue(result.get(), 0, 0)) == "t";
  return write;
}

DocumentList list_documents(DbPool& pool) {
  DocumentList list;
  DbLease lease = pool.acquire();
  if (!lease) {
    list.error = lease.error();
    return list;
  }
  PgResultPtr result = exec_params(
      lease.get(),
      "SELECT d.name, char_length(COALESCE(d.resume, '')), char_length(COALESCE(d.jd, '')), "
      "COALESCE(to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-'), "
      "(SELECT count(*) FROM sessions s WHERE s.document_name = d.name) "
      "FROM documents d ORDER BY d.name",
      {});
  if (!result_ok(result.get())) {
    list.error = last_error(lease.get(), result.get());
    return list;
  }
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    list.documents.push_back({PQgetvalue(result.get(), row, 0), number_at(result.get(), row, 1),
                              number_at(result.get(), row, 2), PQgetvalue(result.get(), row, 3),
                              number_at(result.get(), row, 4)});
  }
  list.ok = true;
  return list;
}

DocumentDelete delete_document(DbPool& pool, const std::string& name) {
  DocumentDelete outcome;
  DbLease lease = pool.acquire();
  if (!lease) {
    outcome.error = lease.error();
    return outcome;
  }
  PgResultPtr result =
      exec_params(lease.get(), "DELETE FROM documents WHERE name = $1", {name});
  if (!result_ok(result.get())) {
    outcome.error = last_error(lease.get(), result.get());
    return outcome;
  }
  outcome.status = std::string(PQcmdTuples(result.get())) == "0" ? DeleteStatus::kNotFound
                                                                 : DeleteStatus::kDeleted;
  return outcome;
}

}  // namespace resume_chat
