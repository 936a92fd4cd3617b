// The commands' interface without a database: help texts, usage errors (exit 2), files
// refused before any connection is attempted (exit 1), settings missing (exit 2), an
// unreachable database (exit 3). What they do to a real database: tests/ops/ops-test.
#define BOOST_TEST_MODULE cli
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "resume_chat/cli.h"
#include "support/fixtures.h"
#include "support/hostile_files.h"

using namespace resume_chat;
using test_support::fixture;
using test_support::hostile;

namespace {

struct Run {
  int status = -1;
  std::string out, err;
};

std::string slurp(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), file)) > 0;) text.append(buffer, n);
  std::fclose(file);
  return text;
}

// Runs a command in this process with stdout and stderr captured.
Run run(std::vector<std::string> args, std::map<std::string, std::string> vars = {}) {
  EnvLookup env = [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  std::fflush(stdout);
  std::fflush(stderr);
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  int saved_out = dup(1), saved_err = dup(2);
  dup2(fileno(out), 1);
  dup2(fileno(err), 2);
  Run result;
  result.status = run_command(args, env);
  std::fflush(stdout);
  std::fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  result.out = slurp(out);
  result.err = slurp(err);
  return result;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Settings whose database cannot be reached: any connection attempt fails at once.
std::map<std::string, std::string> unreachable_database() {
  return {{"DATABASE_HOST", "127.0.0.1"}, {"DATABASE_PORT", "1"}, {"DATABASE_NAME", "x"},
          {"DATABASE_USER", "app"},       {"DATABASE_PASSWORD", "db-password-never-shown"}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(help_lists_every_command) {
  for (auto args : {std::vector<std::string>{"help"}, {"--help"}, {"-h"}}) {
    Run r = run(args);
    BOOST_TEST(r.status == 0);
    for (const char* part : {"documents put NAME RESUME_FILE JD_FILE", "documents list",
                             "documents delete NAME", "link NAME [--expires DURATION]",
                             "transcript SESSION_UUID", "transcript --document NAME",
                             "Exit status: 0 done; 1 refused"}) {
      BOOST_TEST(contains(r.out, part), part);
    }
  }
}

BOOST_AUTO_TEST_CASE(each_command_has_its_help) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"documents", "--help"}, "no other application manages the documents table"},
      {{"documents", "put", "--help"}, "scanned?"},
      {{"help", "documents"}, "DB_ADMIN_USER"},
      {{"link", "--help"}, "--expires DURATION"},
      {{"link", "jane", "-h"}, "LINK_SECRET"},
      {{"transcript", "--help"}, "newest first"},
      {{"help", "transcript"}, "Markdown"},
  };
  for (const auto& [args, part] : cases) {
    Run r = run(args);
    BOOST_TEST(r.status == 0, args[0]);
    BOOST_TEST(contains(r.out, part), args[0] << ": " << part);
    BOOST_TEST(r.err.empty());
  }
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_with_usage_on_stderr) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"bogus"}, "unknown command 'bogus'"},
      {{"help", "bogus"}, "no help for 'bogus'"},
      {{"documents"}, "documents needs put, list or delete"},
      {{"documents", "rename"}, "unknown documents command 'rename'"},
      {{"documents", "put", "jane", "one-file"}, "documents put needs NAME RESUME_FILE JD_FILE"},
      {{"documents", "list", "extra"}, "documents list takes no arguments"},
      {{"documents", "delete"}, "documents delete needs NAME"},
      {{"link"}, "link needs exactly one NAME"},
      {{"link", "a", "b"}, "link needs exactly one NAME"},
      {{"link", "jane", "--expires", "forever"}, "--expires 'forever' is not a duration"},
      {{"link", "jane", "--expires=0d"}, "--expires '0d' is not a duration"},
      {{"link", "jane", "--later"}, "unknown option --later"},
      {{"link", "jane", "--expires"}, "--expires needs a DURATION"},
      {{"transcript"}, "transcript needs SESSION_UUID or --document NAME"},
      {{"transcript", "not-a-uuid"}, "'not-a-uuid' is not a session UUID"},
      {{"transcript", "--document"}, "transcript needs SESSION_UUID or --document NAME"},
  };
  for (const auto& [args, part] : cases) {
    Run r = run(args);
    BOOST_TEST(r.status == 2, args[0]);
    BOOST_TEST(contains(r.err, "resume-chat: " + part), r.err);
    BOOST_TEST(contains(r.err, "usage: resume-chat"), args[0]);
    BOOST_TEST(r.out.empty());
  }
}

BOOST_AUTO_TEST_CASE(files_are_refused_before_any_connection) {
  Run r = run({"documents", "put", "jane", fixture("photo.png"), fixture("scanned.pdf")},
              unreachable_database());
  BOOST_TEST(r.status == 1);
  BOOST_TEST(contains(r.err, "resume-chat: resume file " + fixture("photo.png") +
                                 ": it is an image (PNG)"));
  BOOST_TEST(contains(r.err, "resume-chat: job description file " + fixture("scanned.pdf") +
                                 ": the PDF has no text layer (scanned? run OCR first"));
  BOOST_TEST(!contains(r.err, "PostgreSQL"));  // never got as far as connecting
  BOOST_TEST(r.out.empty());
}

BOOST_AUTO_TEST_CASE(names_are_refused_before_any_connection) {
  Run empty = run({"documents", "put", "", fixture("resume.pdf"), fixture("resume.docx")},
                  unreachable_database());
  BOOST_TEST(empty.status == 1);
  BOOST_TEST(empty.err == "resume-chat: NAME is empty\n");
  Run long_name = run({"documents", "put", std::string(256, 'n'), fixture("resume.pdf"),
                       fixture("resume.docx")}, unreachable_database());
  BOOST_TEST(long_name.status == 1);
  BOOST_TEST(contains(long_name.err, "more than the 255 of documents.name"));
}

BOOST_AUTO_TEST_CASE(invisible_characters_in_a_new_name_are_named) {
  Run rlo = run({"documents", "put", "jane\xE2\x80\xAE" "fdp.exe", fixture("resume.pdf"), fixture("notes.md")},
                unreachable_database());
  BOOST_TEST(rlo.status == 1);
  BOOST_TEST(rlo.err == "resume-chat: NAME has U+202E RIGHT-TO-LEFT OVERRIDE (a bidi control) at "
                        "character 5 of 12: a name must be visible text\n");
  Run c1 = run({"documents", "put", "jane\xC2\x9B", fixture("resume.pdf"), fixture("notes.md")},
               unreachable_database());
  BOOST_TEST(c1.status == 1);
  BOOST_TEST(contains(c1.err, "U+009B CONTROL SEQUENCE INTRODUCER (a control character) at character 5"));
  // `link` still looks such a name up (another application may have stored it): it gets as
  // far as the database.
  auto vars = unreachable_database();
  vars["LINK_SECRET"] = "0123456789abcdef0123";
  vars["PUBLIC_URL"] = "https://chat.example.com";
  BOOST_TEST(run({"link", "jane\xE2\x80\xAE" "fdp.exe"}, vars).status == 3);
}

// Each hostile file: exit 1 with one line naming the file and what was too large, before any
// connection; the reader's cost is in the child (document_text_test logs it).
BOOST_AUTO_TEST_CASE(hostile_files_are_one_line_each) {
  const std::pair<const char*, const char*> cases[] = {
      {"pages-1000.pdf", "the PDF is too large: 1000 pages"},
      {"page-tree.pdf", "could not read its page tree"},
      {"bomb-3gb.docx", "the Word document is too large"},
      {"nul-ref.docx", "&#0;"},
  };
  for (const auto& [name, reason] : cases) {
    Run r = run({"documents", "put", "jane", hostile(name), fixture("notes.md")}, unreachable_database());
    BOOST_TEST(r.status == 1, name);
    BOOST_TEST(r.err.find("resume-chat: resume file " + hostile(name) + ": ") == 0u, r.err);
    BOOST_TEST(contains(r.err, reason), r.err);
    BOOST_TEST(r.err.find('\n') == r.err.size() - 1, r.err);
    BOOST_TEST(r.out.empty());
  }
}

BOOST_AUTO_TEST_CASE(missing_settings_exit_2) {
  Run r = run({"documents", "put", "jane", fixture("resume.pdf"), fixture("resume.docx")});
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "missing required environment variable(s): DATABASE_HOST, "
                             "DATABASE_PORT, DATABASE_NAME, DB_ADMIN_USER (or DATABASE_USER)"));
  auto vars = unreachable_database();
  Run no_secret = run({"link", "jane"}, vars);
  BOOST_TEST(no_secret.status == 2);
  BOOST_TEST(contains(no_secret.err, "LINK_SECRET is not set"));
  vars["LINK_SECRET"] = "short";
  BOOST_TEST(run({"link", "jane"}, vars).status == 2);
  vars["LINK_SECRET"] = "0123456789abcdef0123";
  Run no_url = run({"link", "jane"}, vars);
  BOOST_TEST(no_url.status == 2);
  BOOST_TEST(contains(no_url.err, "PUBLIC_URL is not set"));
  vars["PUBLIC_URL"] = "chat.example.com";
  BOOST_TEST(contains(run({"link", "jane"}, vars).err, "PUBLIC_URL must start with http"));
}

BOOST_AUTO_TEST_CASE(an_unreachable_database_exits_3_without_the_password) {
  auto vars = unreachable_database();
  vars["LINK_SECRET"] = "0123456789abcdef0123";
  vars["PUBLIC_URL"] = "https://chat.example.com/";
  for (auto args : {std::vector<std::string>{"documents", "list"}, {"documents", "delete", "x"},
                    {"documents", "put", "jane", fixture("resume.pdf"), fixture("notes.md")},
                    {"link", "jane"}, {"transcript", "--document", "jane"},
                    {"transcript", "8E2B7A4C-1D3F-4A5B-9C6D-7E8F9A0B1C2D"}}) {
    Run r = run(args, vars);
    BOOST_TEST(r.status == 3, args[0]);
    BOOST_TEST(contains(r.err, "cannot connect to PostgreSQL at 127.0.0.1:1/x as app"), r.err);
    BOOST_TEST(!contains(r.err, "db-password-never-shown"));
  }
}

BOOST_AUTO_TEST_CASE(the_admin_role_is_used_when_set) {
  auto vars = unreachable_database();
  vars["DB_ADMIN_USER"] = "owner";
  vars["DB_ADMIN_PASSWORD"] = "admin-password-never-shown";
  Run r = run({"documents", "list"}, vars);
  BOOST_TEST(r.status == 3);
  BOOST_TEST(contains(r.err, "as owner:"));
  BOOST_TEST(!contains(r.err, "admin-password-never-shown"));
}
