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

// The first character of valid UTF-8 `name` that `refused` says no to, described with its
// place; "" when there is none.
// (invisible_char in utf8.h: what the page and transcripts show escaped.)
std::string first_refused(const std::string& name, bool (*refused)(char32_t)) {
  size_t position = 0;
  for (size_t i = 0; i < name.size(); ++position) {
    const char32_t c = next_code_point(name, i);
    const InvisibleChar found = invisible_char(c);
    if (*found.kind == '\0' || !refused(c)) continue;
    char code[16];
    std::snprintf(code, sizeof(code), "U+%04X", static_cast<unsigned>(c));
    return std::string("NAME has ") + code + (*found.name ? std::string(" ") + found.name : "") +
           " (" + found.kind + ") at character " + std::to_string(position + 1) + " of " +
           std::to_string(utf8_length(name)) + ": a name must be visible text";
  }
  return "";
}

bool is_c0_control(char32_t c) { return c < 0x20 || c == 0x7F; }
bool is_any(char32_t) { return true; }

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
