// The operator's commands: argument parsing, help texts, and each command's few steps.
#include "resume_chat/cli.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <exception>
#include <memory>

#include "resume_chat/chat_store.h"
#include "resume_chat/document_admin.h"
#include "resume_chat/document_text.h"
#include "resume_chat/dotenv.h"
#include "resume_chat/invite_link.h"
#include "resume_chat/text.h"
#include "resume_chat/transcript.h"
#include "resume_chat/utf8.h"

namespace resume_chat {
namespace {

using Args = std::vector<std::string>;

const char* const kUsage =
    "usage: resume-chat                      serve (FastCGI worker; what systemd and the image run)\n"
    "       resume-chat documents put NAME RESUME_FILE JD_FILE\n"
    "       resume-chat documents list\n"
    "       resume-chat documents delete NAME\n"
    "       resume-chat link NAME [--expires DURATION]\n"
    "       resume-chat transcript SESSION_UUID\n"
    "       resume-chat transcript --document NAME\n"
    "       resume-chat help | COMMAND --help\n";

const char* const kHelp =
    "resume-chat: chat with Claude about a resume against a job description.\n"
    "\n"
    "With no arguments it serves: the FastCGI worker behind nginx. With a command it runs\n"
    "that command and exits. Commands read the worker's settings: the environment, then\n"
    ".env in the working directory (the environment wins).\n"
    "\n"
    "%s"
    "\n"
    "  documents    create, replace, list and delete documents from text, Markdown, PDF\n"
    "               or DOCX files (for deployments where no other application manages\n"
    "               the documents table)\n"
    "  link         print a signed, expiring invitation link to a document's page\n"
    "               (needs LINK_SECRET)\n"
    "  transcript   print a stored conversation, or all of a document's, as Markdown\n"
    "\n"
    "`resume-chat COMMAND --help` explains each.\n"
    "\n"
    "Exit status: 0 done; 1 refused (a file or NAME that cannot be stored, nothing found);\n"
    "2 usage or configuration; 3 database. The worker's own startup statuses are in the\n"
    "docs/configuration.md, \"Startup checks\" (2 configuration ... 6 cannot listen).\n";

const char* const kDocumentsHelp =
    "usage: resume-chat documents put NAME RESUME_FILE JD_FILE\n"
    "       resume-chat documents list\n"
    "       resume-chat documents delete NAME\n"
    "\n"
    "put      creates the row documents.name = NAME, or replaces its resume and job\n"
    "         description. The page is then at PUBLIC_URL/?q=NAME (with LINK_SECRET set:\n"
    "         through `resume-chat link NAME`). Each file may be plain text, Markdown, PDF\n"
    "         (its text layer) or DOCX (its paragraphs, in reading order), recognised by\n"
    "         its content, not its name; the text is stored as UTF-8 with whitespace\n"
    "         normalised. PDF and DOCX files are read in a child process limited to\n"
    "         512 MB of memory and 20 s of CPU time. Refused, with the table left as it\n"
    "         was: a missing or unreadable file, an image or any other format, a PDF\n"
    "         without a text layer (scanned? run OCR first), an encrypted or damaged PDF,\n"
    "         a file without text, a file over 20 MB, a PDF of more than 100 pages, a\n"
    "         DOCX whose text part inflates past 8 MB or has XML Word does not write, a\n"
    "         file with more than 200000 characters of text or that needs more memory or\n"
    "         time than those limits; a NAME that is empty, longer than 255 characters or\n"
    "         has a control, bidi or zero-width character (named, e.g. U+202E).\n"
    "list     every document: its name, the characters of each text, when it was last\n"
    "         updated (UTC) and how many chat sessions it has.\n"
    "delete   deletes the row; its stored chats stay, and so do its transcripts.\n"
    "\n"
    "Use these only where no other application manages the documents table (the seed's\n"
    "schema; without such an application create it once with\n"
    "migrations/documents_table.sql). They connect as DB_ADMIN_USER/DB_ADMIN_PASSWORD\n"
    "when DB_ADMIN_USER is set (the worker's own role may only read documents), else as\n"
    "DATABASE_USER/DATABASE_PASSWORD, with the other DATABASE_* settings.\n"
    "\n"
    "Exit status: 0 done; 1 refused or not found; 2 usage or configuration; 3 database.\n";

const char* const kLinkHelp =
    "usage: resume-chat link NAME [--expires DURATION]\n"
    "\n"
    "Prints the invitation link to the page of document NAME:\n"
    "  PUBLIC_URL/?q=NAME&exp=EXPIRY&sig=SIGNATURE\n"
    "signed with LINK_SECRET (HMAC-SHA256 over the name and the expiry). With LINK_SECRET\n"
    "set for the worker, a page opens only through such a link: a bare ?q=NAME, a changed\n"
    "link or a signature moved to another name gets 403, an expired link 410. A chat\n"
    "opened before the link expired goes on working (its session lasts 24 h).\n"
    "\n"
    "--expires DURATION   how long the link works: a whole number and s, m, h, d or w\n"
    "                     (2s, 90m, 12h, 7d, 2w); default 30d, at most 366d.\n"
    "\n"
    "Needs LINK_SECRET (the worker's; at least 16 characters: openssl rand -hex 32),\n"
    "PUBLIC_URL (the site's address, e.g. https://chat.example.com) and the DATABASE_*\n"
    "settings: the document must exist. The expiry is printed on stderr.\n"
    "\n"
    "Exit status: 0 printed; 1 no such document; 2 usage or configuration; 3 database.\n";

const char* const kTranscriptHelp =
    "usage: resume-chat transcript SESSION_UUID\n"
    "       resume-chat transcript --document NAME\n"
    "\n"
    "Prints a stored conversation as Markdown: its document, when it started and ended,\n"
    "then each message under its role (User, Assistant) and time (UTC). With --document,\n"
    "every session of that document, newest first. A session's UUID is in the worker's\n"
    "log line of each chat (\"session\"); --document lists them all.\n"
    "\n"
    "Sessions stored before migrations/005_sessions.sql was applied are not linked to a\n"
    "document: SESSION_UUID still prints them, --document does not find them.\n"
    "\n"
    "Exit status: 0 printed; 1 nothing stored; 2 usage or configuration; 3 database.\n";

void print_err(const std::string& line) { std::fprintf(stderr, "resume-chat: %s\n", line.c_str()); }

int usage_error(const std::string& problem, const char* help) {
  print_err(problem);
  std::fputs("\n", stderr);
  std::fputs(help, stderr);
  return kCliUsage;
}

bool wants_help(const Args& args) {
  return std::any_of(args.begin(), args.end(),
                     [](const std::string& a) { return a == "--help" || a == "-h"; });
}

std::string setting(const EnvLookup& env, const char* name) {
  auto value = env(name);
  return value ? *value : std::string();
}

int database_failure(const std::string& error) {
  std::string hint;
  if (error.find("does not exist") != std::string::npos) {
    hint = " — apply the migrations (docs/operating.md, \"Upgrading\"); the documents table is the seed's "
           "(migrations/documents_table.sql)";
  }
  print_err("database: " + error + hint);
  return kCliDatabase;
}

// The operator's connection, or nullptr after saying why (`status` gets the exit status).
std::unique_ptr<DbPool> connect(const EnvLookup& env, int& status) {
  DatabaseConfigResult loaded = load_admin_database_config(env);
  if (!loaded.database) {
    print_err(loaded.error);
    status = kCliUsage;
    return nullptr;
  }
  const DatabaseConfig& db = *loaded.database;
  auto pool = std::make_unique<DbPool>(db);
  if (Status opened = pool->open(); !opened.ok()) {
    print_err("cannot connect to PostgreSQL at " + db.host + ":" + db.port + "/" + db.name +
              " as " + db.user + ": " + opened.message());
    status = kCliDatabase;
    return nullptr;
  }
  return pool;
}

// `problem`: document_name_problem to look a name up, new_document_name_problem to store one.
int refuse_name(const std::string& name, std::string (*problem_of)(const std::string&)) {
  std::string problem = problem_of(name);
  if (problem.empty()) return kCliOk;
  print_err(problem);
  return kCliRefused;
}

std::string describe(const ExtractedText& text) {
  return std::to_string(utf8_length(text.text)) + " characters (" + format_name(text.format) + ")";
}

int documents_put(const Args& args, const EnvLookup& env) {
  if (args.size() != 3) return usage_error("documents put needs NAME RESUME_FILE JD_FILE", kDocumentsHelp);
  if (int status = refuse_name(args[0], new_document_name_problem); status != kCliOk) return status;
  ExtractedText resume = extract_text_file(args[1]);
  ExtractedText jd = extract_text_file(args[2]);
  if (!resume.ok) print_err("resume file " + args[1] + ": " + resume.reason);
  if (!jd.ok) print_err("job description file " + args[2] + ": " + jd.reason);
  if (!resume.ok || !jd.ok) return kCliRefused;
  int status = kCliOk;
  auto pool = connect(env, status);
  if (!pool) return status;
  DocumentWrite write = put_document(*pool, args[0], resume.text, jd.text);
  if (!write.ok) return database_failure(write.error);
  std::printf("%s document '%s': resume %s, job description %s\n",
              write.created ? "created" : "replaced", args[0].c_str(), describe(resume).c_str(),
              describe(jd).c_str());
  return kCliOk;
}

int documents_list(const Args& args, const EnvLookup& env) {
  if (!args.empty()) return usage_error("documents list takes no arguments", kDocumentsHelp);
  int status = kCliOk;
  auto pool = connect(env, status);
  if (!pool) return status;
  DocumentList list = list_documents(*pool);
  if (!list.ok) return database_failure(list.error);
  if (list.documents.empty()) {
    std::printf("no documents\n");
    return kCliOk;
  }
  size_t width = 4;
  for (const auto& d : list.documents) width = std::max(width, d.name.size());
  std::printf("%-*s  %8s  %8s  %-16s  %8s\n", static_cast<int>(width), "NAME", "RESUME", "JD",
              "UPDATED (UTC)", "SESSIONS");
  for (const auto& d : list.documents) {
    std::printf("%-*s  %8lld  %8lld  %-16s  %8lld\n", static_cast<int>(width), d.name.c_str(),
                static_cast<long long>(d.resume_chars), static_cast<long long>(d.jd_chars),
                d.updated.c_str(), static_cast<long long>(d.sessions));
  }
  return kCliOk;
}

int documents_delete(const Args& args, const EnvLookup& env) {
  if (args.size() != 1) return usage_error("documents delete needs NAME", kDocumentsHelp);
  int status = kCliOk;
  auto pool = connect(env, status);
  if (!pool) return status;
  DocumentDelete outcome = delete_document(*pool, args[0]);
  if (outcome.status == DeleteStatus::kDatabaseError) return database_failure(outcome.error);
  if (outcome.status == DeleteStatus::kNotFound) {
    print_err("no document named '" + args[0] + "'");
    return kCliRefused;
  }
  std::printf("deleted document '%s' (its stored chats stay)\n", args[0].c_str());
  return kCliOk;
}

int documents(const Args& args, const EnvLookup& env) {
  if (args.empty()) return usage_error("documents needs put, list or delete", kDocumentsHelp);
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "put") return documents_put(rest, env);
  if (args[0] == "list") return documents_list(rest, env);
  if (args[0] == "delete") return documents_delete(rest, env);
  return usage_error("unknown documents command '" + args[0] + "'", kDocumentsHelp);
}

struct LinkArgs {
  std::string name;
  int64_t duration_s = kDefaultLinkDurationS;
  std::string problem;
};

LinkArgs parse_link_args(const Args& args) {
  LinkArgs parsed;
  std::vector<std::string> names;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value;
    if (args[i] == "--expires") {
      if (i + 1 == args.size()) {
        parsed.problem = "--expires needs a DURATION";
        return parsed;
      }
      value = args[++i];
    } else if (starts_with(args[i], "--expires=")) {
      value = args[i].substr(10);
    } else if (starts_with(args[i], "--")) {
      parsed.problem = "unknown option " + args[i];
      return parsed;
    } else {
      names.push_back(args[i]);
      continue;
    }
    auto duration = parse_duration(value);
    if (!duration) {
      parsed.problem = "--expires '" + value + "' is not a duration such as 2s, 12h, 7d (at most 366d)";
      return parsed;
    }
    parsed.duration_s = *duration;
  }
  if (names.size() != 1) parsed.problem = "link needs exactly one NAME";
  if (!names.empty()) parsed.name = names[0];
  return parsed;
}

// PUBLIC_URL without its trailing slashes; "" after saying why it is unusable.
std::string public_url(const EnvLookup& env) {
  std::string url = setting(env, "PUBLIC_URL");
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!starts_with(url, "http://") && !starts_with(url, "https://")) {
    print_err(url.empty() ? "PUBLIC_URL is not set: set it to the site's address, e.g. "
                            "https://chat.example.com"
                          : "PUBLIC_URL must start with http:// or https://");
    return "";
  }
  return url;
}

int link(const Args& args, const EnvLookup& env) {
  LinkArgs parsed = parse_link_args(args);
  if (!parsed.problem.empty()) return usage_error(parsed.problem, kLinkHelp);
  std::string secret = setting(env, "LINK_SECRET");
  if (secret.size() < kMinLinkSecretChars) {
    print_err(secret.empty() ? "LINK_SECRET is not set: without it pages open with a bare "
                               "?q=NAME; set it for the worker and here (openssl rand -hex 32)"
                             : "LINK_SECRET must be at least 16 characters (openssl rand -hex 32)");
    return kCliUsage;
  }
  std::string base = public_url(env);
  if (base.empty()) return kCliUsage;
  if (int status = refuse_name(parsed.name, document_name_problem); status != kCliOk) return status;
  int status = kCliOk;
  auto pool = connect(env, status);
  if (!pool) return status;
  DocumentLookup lookup = get_document_by_name(*pool, parsed.name);
  if (lookup.status == Lookup::kDatabaseError) return database_failure(lookup.error);
  if (lookup.status == Lookup::kNotFound) {
    print_err("no document named '" + parsed.name + "': add it with `resume-chat documents put`");
    return kCliRefused;
  }
  const int64_t expires = static_cast<int64_t>(std::time(nullptr)) + parsed.duration_s;
  std::printf("%s/?%s\n", base.c_str(), LinkSigner(secret).query(parsed.name, expires).c_str());
  print_err("the link opens '" + parsed.name + "' until " + format_utc(expires));
  return kCliOk;
}

// Lower-cases a UUID; "" unless it is one (8-4-4-4-12 hex digits).
std::string canonical_uuid(std::string text) {
  if (text.size() != 36) return "";
  for (size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    text[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return "";
  }
  return text;
}

int print_transcript(const TranscriptLoad& loaded, const std::string& what,
                     const std::string& markdown) {
  if (!loaded.ok) return database_failure(loaded.error);
  if (loaded.sessions.empty()) {
    print_err("no messages stored for " + what);
    return kCliRefused;
  }
  std::string out = markdown;
  while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  std::fputs(out.c_str(), stdout);
  return kCliOk;
}

int transcript(const Args& args, const EnvLookup& env) {
  const bool by_document = !args.empty() && args[0] == "--document";
  if (by_document ? args.size() != 2 : args.size() != 1) {
    return usage_error("transcript needs SESSION_UUID or --document NAME", kTranscriptHelp);
  }
  std::string uuid = by_document ? "" : canonical_uuid(args[0]);
  if (!by_document && uuid.empty()) {
    return usage_error("'" + args[0] + "' is not a session UUID", kTranscriptHelp);
  }
  int status = kCliOk;
  auto pool = connect(env, status);
  if (!pool) return status;
  if (!by_document) {
    TranscriptLoad loaded = load_session_transcript(*pool, uuid);
    return print_transcript(loaded, "session " + uuid,
                            loaded.sessions.empty() ? "" : render_transcript(loaded.sessions[0]));
  }
  TranscriptLoad loaded = load_document_transcripts(*pool, args[1]);
  return print_transcript(loaded, "document '" + args[1] + "'",
                          render_document_transcripts(args[1], loaded.sessions));
}

// The help text of a command; nullptr for an unknown one.
const char* command_help(const std::string& command) {
  if (command == "documents") return kDocumentsHelp;
  if (command == "link") return kLinkHelp;
  if (command == "transcript") return kTranscriptHelp;
  return nullptr;
}

int print_help(const char* text) {
  std::fputs(text, stdout);
  return kCliOk;
}

int help(const Args& args) {
  if (args.empty()) {
    std::printf(kHelp, kUsage);
    return kCliOk;
  }
  const char* text = command_help(args[0]);
  return text != nullptr ? print_help(text) : usage_error("no help for '" + args[0] + "'", kUsage);
}

int dispatch(const Args& args, const EnvLookup& env) {
  const std::string& command = args[0];
  Args rest(args.begin() + 1, args.end());
  if (command == "help" || command == "--help" || command == "-h") return help(rest);
  const char* text = command_help(command);
  if (text == nullptr) return usage_error("unknown command '" + command + "'", kUsage);
  if (wants_help(rest)) return print_help(text);
  if (command == "documents") return documents(rest, env);
  if (command == "link") return link(rest, env);
  return transcript(rest, env);
}

}  // namespace

int run_command(const Args& args, const EnvLookup& env) {
  if (args.empty()) return usage_error("no command given", kUsage);
  try {
    return dispatch(args, env);
  } catch (const std::exception& e) {  // e.g. out of memory on a huge file
    print_err(std::string("failed: ") + e.what());
    return kCliRefused;
  }
}

int run_cli(int argc, char** argv) {
  if (!load_dotenv_file(".env")) {
    print_err("cannot read .env in the working directory");
    return kCliUsage;
  }
  return run_command(Args(argv + 1, argv + argc), process_env());
}

}  // namespace resume_chat
