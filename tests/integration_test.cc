// End to end through the real parts: nginx → worker → PostgreSQL, with the Anthropic
// simulator. Needs a running scripts/test-stack (scripts/run-integration starts one).
#define BOOST_TEST_MODULE integration
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <mutex>
#include <sstream>
#include <thread>

#include <rapidjson/document.h>

#include "resume_chat/chat_store.h"
#include "resume_chat/db_pool.h"
#include "resume_chat/schema.h"
#include "resume_chat/session_token.h"
#include "support/chat.h"
#include "support/fcgi_client.h"
#include "support/http.h"
#include "support/stack.h"

using namespace test_support;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The first line of the worker's log holding all of `needles`, waiting up to `timeout`: a
// request's line is written as it ends, which can be just after its client read the response.
std::string worker_log_line(const std::vector<std::string>& needles,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    std::istringstream log(read_file(env("STACK_DIR") + "/worker.log"));
    for (std::string line; std::getline(log, line);) {
      if (std::all_of(needles.begin(), needles.end(),
                      [&](const std::string& needle) { return contains(line, needle); })) {
        return line;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return "";
}

std::string root_dir() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) ? buf : ".";
}

// An error page is one card: the seed's text, what to do, and no chat or documents.
void expect_error_state(const HttpResponse& r, long status, const std::string& escaped_text) {
  BOOST_TEST(r.status == status);
  BOOST_TEST(contains(r.body, escaped_text), "missing: " << escaped_text);
  BOOST_TEST(contains(r.body, "data-ready=\"false\""));
  BOOST_TEST(contains(r.body, "<p class=\"advice\">"));
  BOOST_TEST(!contains(r.body, "role=\"alert\" hidden"));
  for (const char* absent : {"id=\"chat\"", "id=\"message\"", "data-starter", "id=\"resume\""}) {
    BOOST_TEST(!contains(r.body, absent), absent);
  }
}

// The headers nginx/security-headers.conf.in puts on every response (`what` names it).
void expect_security_headers(const HttpResponse& r, const std::string& what) {
  const std::string csp = r.header("content-security-policy");
  BOOST_TEST(contains(csp, "default-src 'none'; script-src 'self';"), what << ": CSP '" << csp << "'");
  BOOST_TEST(contains(csp, "frame-ancestors 'self'"), what << ": CSP '" << csp << "'");
  BOOST_TEST(!contains(csp, "*.hf.space"), what);
  BOOST_TEST(r.header("x-content-type-options") == "nosniff", what);
  BOOST_TEST(r.header("referrer-policy") == "no-referrer", what);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(page)

BOOST_AUTO_TEST_CASE(found_document_renders_ready_page) {
  HttpResponse r = get(page_url("demo"));
  BOOST_TEST(r.status == 200);
  BOOST_TEST(contains(r.header("content-type"), "text/html"));
  BOOST_TEST(contains(r.body, "Jordan Rivera"));
  BOOST_TEST(contains(r.body, "R&amp;D &lt;Team&gt; liaison"));  // resume text, escaped
  BOOST_TEST(contains(r.body, "Staff Backend Engineer"));
  BOOST_TEST(contains(r.body, "data-ready=\"true\""));
  BOOST_TEST(contains(r.body, "data-session=\"v1."));
  BOOST_TEST(contains(r.body, "role=\"alert\" hidden"));
  for (const char* id : {"error", "chat", "message", "send", "resume", "jd", "download"}) {
    BOOST_TEST(contains(r.body, std::string("id=\"") + id + "\""), id);
  }
  // The starters of the installed templates/starters.txt, escaped.
  BOOST_TEST(contains(r.body, "data-starter>What are the three biggest gaps?</button>"));
}

BOOST_AUTO_TEST_CASE(each_page_load_gets_a_new_session) {
  auto token = [](const std::string& body) {
    size_t at = body.find("data-session=\"");
    return body.substr(at, body.find('"', at + 14) - at);
  };
  BOOST_TEST(token(get(page_url("demo")).body) != token(get(page_url("demo")).body));
}

BOOST_AUTO_TEST_CASE(missing_or_empty_q_is_400) {
  const std::string text = "Error: &#39;q&#39; parameter must be specified in the URL";
  expect_error_state(get(base_url() + "/"), 200, text);
  expect_error_state(get(base_url() + "/?q="), 200, text);
  expect_error_state(get(base_url() + "/?other=1"), 200, text);
}

BOOST_AUTO_TEST_CASE(unknown_document_is_404) {
  expect_error_state(get(page_url("nope")), 404,
                     "Error: No document found with name &#39;nope&#39;");
}

BOOST_AUTO_TEST_CASE(head_request_works) {
  HttpResponse r = http({"HEAD", page_url("demo"), "", {}, 10});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body.empty());
}

BOOST_AUTO_TEST_CASE(hostile_document_is_shown_as_text) {
  const std::string name = "xss <script>alert(1)</script>";
  sql("INSERT INTO documents (name, resume, jd) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      {name, "<script>window.__xss=1</script> R&D", "<img src=x onerror=alert(1)>"});
  HttpResponse r = get(page_url(name));
  BOOST_TEST(r.status == 200);
  BOOST_TEST(!contains(r.body, "<script>window"));
  BOOST_TEST(!contains(r.body, "<img src=x"));
  BOOST_TEST(contains(r.body, "&lt;script&gt;window.__xss=1&lt;/script&gt; R&amp;D"));
  BOOST_TEST(contains(r.body, "&lt;img src=x onerror=alert(1)&gt;"));
  HttpResponse missing = get(page_url("<b>bold</b>"));
  BOOST_TEST(contains(missing.body, "&#39;&lt;b&gt;bold&lt;/b&gt;&#39;"));
}

BOOST_AUTO_TEST_CASE(unicode_names_are_decoded) {
  const std::string name = "jos\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC";
  sql("INSERT INTO documents (name, resume, jd) VALUES ($1, 'r', 'j') ON CONFLICT DO NOTHING",
      {name});
  BOOST_TEST(get(page_url(name)).status == 200);
  BOOST_TEST(get(base_url() + "/?q=jos%C3%A9+%E6%97%A5%E6%9C%AC").status == 200);
}

BOOST_AUTO_TEST_CASE(sql_injection_is_just_not_found) {
  std::string documents_before = sql_value("SELECT count(*) FROM documents");
  for (const char* attack :
       {"'; DROP TABLE documents; --", "' OR '1'='1", "demo' --", "demo'; DELETE FROM chats; --",
        "1; SELECT pg_sleep(5)", "\\'; DROP TABLE chats; --", "' UNION SELECT 'a','b' --"}) {
    HttpResponse r = get(page_url(attack));
    BOOST_TEST(r.status == 404, attack);
  }
  BOOST_TEST(sql_value("SELECT count(*) FROM documents") == documents_before);
  BOOST_TEST(sql_value("SELECT to_regclass('public.chats') IS NOT NULL") == "t");
}

BOOST_AUTO_TEST_CASE(long_and_malformed_q_are_not_found) {
  BOOST_TEST(get(page_url(std::string(256, 'a'))).status == 404);
  HttpResponse long_q = get(page_url(std::string(3000, 'b')));
  BOOST_TEST(long_q.status == 404);
  BOOST_TEST(long_q.body.size() < 10000u);  // the name shown is shortened
  BOOST_TEST(get(base_url() + "/?q=%zz%").status == 404);
  BOOST_TEST(get(base_url() + "/?q=%FF%FE").status == 404);  // invalid UTF-8
  BOOST_TEST(get(base_url() + "/?q=a%00b").status == 404);
}

BOOST_AUTO_TEST_CASE(security_headers_and_no_versions) {
  HttpResponse r = get(page_url("demo"));
  BOOST_TEST(contains(r.header("content-security-policy"), "script-src 'self'"));
  BOOST_TEST(contains(r.header("content-security-policy"), "frame-ancestors"));
  BOOST_TEST(r.header("x-content-type-options") == "nosniff");
  BOOST_TEST(!r.header("referrer-policy").empty());
  BOOST_TEST(r.header("server") == "nginx");
  BOOST_TEST(r.header("cache-control") == "no-store");
}

BOOST_AUTO_TEST_CASE(static_assets_and_unknown_paths) {
  BOOST_TEST(get(base_url() + "/static/app.js").status == 200);
  BOOST_TEST(get(base_url() + "/static/app.css").status == 200);
  BOOST_TEST(get(base_url() + "/nothing-here").status == 404);
  BOOST_TEST(get(base_url() + "/static/../Makefile").status != 200);
}

// Peers on the worker's FastCGI socket that connect and send nothing, or half a request,
// more of them than request threads: pages through nginx are served meanwhile.
BOOST_AUTO_TEST_CASE(silent_fastcgi_peers_hold_up_no_page) {
  std::vector<int> peers;
  const std::string half = fcgi_request({{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/"}});
  for (int i = 0; i < 20; ++i) {
    int fd = fcgi_connect(env("FCGI_SOCKET"));
    BOOST_REQUIRE(fd >= 0);
    if (i % 2) send(fd, half.data(), half.size() / 2, MSG_NOSIGNAL);
    peers.push_back(fd);
  }
  int served = 0;
  for (int i = 0; i < 20; ++i) {
    served += http({"GET", page_url("demo"), "", {}, 10}).status == 200;
  }
  for (int fd : peers) close(fd);
  BOOST_TEST(served == 20);
}

BOOST_AUTO_TEST_CASE(post_to_page_is_405) {
  HttpResponse r = http({"POST", page_url("demo"), "x=1", {}, 10});
  BOOST_TEST(r.status == 405);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(database_outage)

// Stops PostgreSQL under the running worker: pages get the seed's database error quickly,
// and after a restart the worker recovers without being restarted itself.
BOOST_AUTO_TEST_CASE(page_is_503_while_down_and_recovers) {
  // A document no page has loaded yet: not in the worker's short-lived document cache.
  sql("DELETE FROM documents WHERE name = 'outage-doc'");
  sql("INSERT INTO documents (name, resume, jd) VALUES ('outage-doc', 'r', 'j')");
  BOOST_TEST(get(page_url("demo")).status == 200);
  BOOST_REQUIRE(std::system("scripts/test-stack pg-stop >/dev/null") == 0);
  HttpResponse down = get(page_url("outage-doc"));
  HttpResponse health = get(base_url() + "/healthz");
  BOOST_TEST(down.status == 503);
  BOOST_TEST(contains(down.body,
                      "Error: Unable to connect to database. Please check configuration."));
  BOOST_TEST(health.status == 503);
  BOOST_TEST(health.body == "{\"status\":\"unavailable\",\"database\":\"unreachable\"}\n");
  BOOST_REQUIRE(std::system("scripts/test-stack pg-start >/dev/null") == 0);
  BOOST_TEST(get(page_url("outage-doc")).status == 200);
  BOOST_TEST(get(page_url("demo")).status == 200);
  HttpResponse healthy = get(base_url() + "/healthz");
  BOOST_TEST(healthy.status == 200);
  BOOST_TEST(healthy.body == "{\"status\":\"ok\",\"database\":\"ok\"}\n");
  BOOST_TEST(contains(healthy.header("content-type"), "application/json"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(startup_checks)

namespace {
std::string scratch_dir() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/resume-chat-startup.XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  return dir;
}

ProcessResult start_worker(std::map<std::string, std::string> environment) {
  environment.emplace("PROMPT_TEMPLATE", root_dir() + "/prompts/chat_system.mustache");
  environment.emplace("TEMPLATES_DIR", root_dir() + "/templates");
  return run_process({root_dir() + "/build/resume-chat"}, environment, 30, scratch_dir());
}

void expect_failure(const ProcessResult& r, int code, const std::string& text) {
  BOOST_TEST(r.exit_code == code, r.output);
  BOOST_TEST(contains(r.output, text), r.output);
  BOOST_TEST(!contains(r.output, env("DATABASE_PASSWORD")));
  BOOST_TEST(!contains(r.output, "sk-ant-"));
  BOOST_TEST(std::count(r.output.begin(), r.output.end(), '\n') == 1, r.output);
}

int closed_port() {
  return 1;  // nothing listens on port 1 on loopback; connect is refused at once
}
}  // namespace

BOOST_AUTO_TEST_CASE(missing_variables_exit_2) {
  auto e = worker_env();
  e.erase("DATABASE_PASSWORD");
  e.erase("ANTHROPIC_API_KEY");
  expect_failure(start_worker(e), 2,
                 "missing required environment variable(s): ANTHROPIC_API_KEY, DATABASE_PASSWORD");
}

BOOST_AUTO_TEST_CASE(invalid_setting_exits_2) {
  auto e = worker_env();
  e["DATABASE_SSLMODE"] = "sometimes";
  expect_failure(start_worker(e), 2, "DATABASE_SSLMODE must be one of");
}

BOOST_AUTO_TEST_CASE(short_session_secret_exits_2_without_the_secret) {
  auto e = worker_env();
  e["SESSION_SECRET"] = "weak-secret-1234";
  ProcessResult r = start_worker(e);
  expect_failure(r, 2, "SESSION_SECRET is too short (16 bytes; at least 32)");
  BOOST_TEST(!contains(r.output, "weak-secret-1234"));
}

BOOST_AUTO_TEST_CASE(unreachable_database_exits_3) {
  auto e = worker_env();
  e["DATABASE_PORT"] = std::to_string(closed_port());
  expect_failure(start_worker(e), 3, "cannot connect to PostgreSQL at 127.0.0.1:1/");
}

BOOST_AUTO_TEST_CASE(wrong_database_password_exits_3_without_the_password) {
  auto e = worker_env();
  e["DATABASE_PASSWORD"] = "wrong-password-value-123";
  ProcessResult r = start_worker(e);
  expect_failure(r, 3, "password authentication failed");
  BOOST_TEST(!contains(r.output, "wrong-password-value-123"));
}

// A database where only the seed's 001 migration ran: the worker says which migration is
// missing rather than failing every chat later.
BOOST_AUTO_TEST_CASE(chats_without_the_superseded_column_exit_3) {
  if (sql_value("SELECT count(*) FROM pg_database WHERE datname = 'resume_chat_no_003'") == "1") {
    sql("DROP DATABASE resume_chat_no_003");
  }
  sql("CREATE DATABASE resume_chat_no_003");
  const std::string psql = "PGPASSWORD='" + env("DB_ADMIN_PASSWORD") + "' psql -X -q -v ON_ERROR_STOP=1 -h " +
                           env("DATABASE_HOST") + " -p " + env("DATABASE_PORT") + " -U " +
                           env("DB_ADMIN_USER") + " -d resume_chat_no_003 ";
  BOOST_REQUIRE(std::system((psql + "-f migrations/001_create_tables.sql >/dev/null").c_str()) == 0);
  BOOST_REQUIRE(std::system((psql + "-c 'GRANT SELECT, INSERT ON chats TO " + env("DATABASE_USER") +
                             "' >/dev/null").c_str()) == 0);
  auto e = worker_env();
  e["DATABASE_NAME"] = "resume_chat_no_003";
  expect_failure(start_worker(e), 3, "apply migrations/003_superseded_replies.sql");
  sql("DROP DATABASE resume_chat_no_003");
}

BOOST_AUTO_TEST_CASE(invalid_api_key_exits_4) {
  auto e = worker_env();
  e["ANTHROPIC_API_KEY"] = "sk-ant-not-a-valid-key";
  expect_failure(start_worker(e), 4, "rejected ANTHROPIC_API_KEY (HTTP 401)");
}

BOOST_AUTO_TEST_CASE(unreachable_api_exits_4) {
  auto e = worker_env();
  e["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:" + std::to_string(closed_port());
  expect_failure(start_worker(e), 4, "cannot reach the Anthropic API");
}

// The stack's API front has a certificate from the stack's own CA: the system's store does
// not trust it, so pointing ANTHROPIC_CA_FILE elsewhere is a clear startup error.
BOOST_AUTO_TEST_CASE(an_untrusted_api_certificate_exits_4_naming_the_ca_setting) {
  auto e = worker_env();
  e["ANTHROPIC_CA_FILE"] = "/etc/ssl/certs/ca-certificates.crt";
  expect_failure(start_worker(e), 4, "was not accepted (SSL certificate problem");
  expect_failure(start_worker(e), 4, "set ANTHROPIC_CA_FILE to the CA that signed it");
  e["ANTHROPIC_CA_FILE"] = "/nonexistent/ca.pem";
  expect_failure(start_worker(e), 2, "ANTHROPIC_CA_FILE /nonexistent/ca.pem cannot be read");
}

BOOST_AUTO_TEST_CASE(a_capacity_the_file_limit_cannot_carry_exits_2) {
  auto e = worker_env();
  e["STREAM_CAPACITY"] = "100000";
  ProcessResult r = run_process({"/bin/sh", "-c", "ulimit -n 4096 && exec " + root_dir() + "/build/resume-chat"},
                                [&] {
                                  e.emplace("PROMPT_TEMPLATE", root_dir() + "/prompts/chat_system.mustache");
                                  e.emplace("TEMPLATES_DIR", root_dir() + "/templates");
                                  return e;
                                }(),
                                30, scratch_dir());
  expect_failure(r, 2, "STREAM_CAPACITY=100000 needs about");
  BOOST_TEST(contains(r.output, "raise it (systemd LimitNOFILE="), r.output);
}

// Under a hard limit of 1024 open files (some container runtimes) the default capacity is
// lowered to fit, with a warning, and the worker serves.
BOOST_AUTO_TEST_CASE(a_low_file_limit_lowers_the_default_capacity) {
  auto e = worker_env();
  e.emplace("PROMPT_TEMPLATE", root_dir() + "/prompts/chat_system.mustache");
  e.emplace("TEMPLATES_DIR", root_dir() + "/templates");
  ProcessResult r = run_process({"/bin/sh", "-c", "ulimit -n 1024 && exec " + root_dir() + "/build/resume-chat"},
                                e, 5, scratch_dir());  // stopped after 5 s: it serves
  BOOST_TEST(contains(r.output, "\"msg\":\"stream capacity lowered to fit the open-files limit"), r.output);
  BOOST_TEST(contains(r.output, "\"open_files_limit\":1024"), r.output);
  BOOST_TEST(contains(r.output, "\"msg\":\"ready\""), r.output);
  BOOST_TEST(!contains(r.output, "\"stream_capacity\":1000"), r.output);
}

BOOST_AUTO_TEST_CASE(missing_template_exits_5) {
  auto e = worker_env();
  e["PROMPT_TEMPLATE"] = "/nonexistent/chat_system.mustache";
  expect_failure(start_worker(e), 5,
                 "system prompt template not found at /nonexistent/chat_system.mustache");
}

BOOST_AUTO_TEST_CASE(env_file_in_working_directory_is_read) {
  auto e = worker_env();
  std::string password = e["DATABASE_PASSWORD"];
  e.erase("DATABASE_PASSWORD");
  e["DATABASE_SSLMODE"] = "bogus-from-env";  // environment wins: still fails on this
  std::string dotenv = scratch_dir() + "/.env";
  FILE* f = std::fopen(dotenv.c_str(), "w");
  std::fprintf(f, "# test\nexport DATABASE_PASSWORD='%s'\nDATABASE_SSLMODE=disable\n",
               password.c_str());
  std::fclose(f);
  expect_failure(start_worker(e), 2, "DATABASE_SSLMODE must be one of");
  std::remove(dotenv.c_str());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pool)

BOOST_AUTO_TEST_CASE(exhausted_pool_times_out_then_recovers) {
  resume_chat::DbPool pool(stack_database(2, 200));
  BOOST_TEST(pool.open().ok());
  resume_chat::DbLease a = pool.acquire(), b = pool.acquire();
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(b);
  resume_chat::DbLease c = pool.acquire();
  BOOST_TEST(!c);
  BOOST_TEST(c.error() == "timed out waiting for a free database connection");
  b = resume_chat::DbLease();
  resume_chat::DbLease d = pool.acquire();
  BOOST_TEST(static_cast<bool>(d));
  BOOST_TEST(pool.stats().timeouts == 1);
}

// DATABASE_STATEMENT_TIMEOUT_MS applies to each statement the pool runs and to nothing
// else: the connection's own setting is as the role has it (see exec_params).
BOOST_AUTO_TEST_CASE(each_statement_gets_the_worker_timeout_and_only_it) {
  resume_chat::DatabaseConfig db = stack_database(1, 1000);
  db.statement_timeout_ms = 300;
  resume_chat::DbPool pool(db);
  resume_chat::DbLease lease = pool.acquire();
  BOOST_REQUIRE(lease);
  resume_chat::PgResultPtr shown = lease.exec("SELECT current_setting('statement_timeout')", {});
  BOOST_REQUIRE(resume_chat::result_ok(shown.get()));
  BOOST_TEST(std::string(PQgetvalue(shown.get(), 0, 0)) == "300ms");
  resume_chat::PgResultPtr slow = lease.exec("SELECT pg_sleep(30)", {});
  BOOST_TEST(!resume_chat::result_ok(slow.get()));
  BOOST_TEST(std::string(PQresultErrorField(slow.get(), PG_DIAG_SQLSTATE)) == "57014");
  resume_chat::PgResultPtr session = resume_chat::exec_params(lease.get(), "SHOW statement_timeout", {});
  BOOST_REQUIRE(resume_chat::result_ok(session.get()));
  BOOST_TEST(std::string(PQgetvalue(session.get(), 0, 0)) ==
             sql_value("SHOW statement_timeout", {}, true));  // a new session of the role
  BOOST_TEST(PQtransactionStatus(lease.get()) == PQTRANS_IDLE);
  BOOST_TEST(resume_chat::result_ok(lease.exec("SELECT 1", {}).get()));
}

BOOST_AUTO_TEST_CASE(store_functions_round_trip) {
  resume_chat::DbPool pool(stack_database(3, 1000));
  const std::string session = resume_chat::new_uuid4();
  BOOST_TEST(resume_chat::save_message(pool, session, "user", "it's a 'quote'; DROP").ok());
  BOOST_TEST(resume_chat::save_message(pool, session, "assistant", "r\xC3\xA9ply").ok());
  BOOST_TEST(!resume_chat::save_message(pool, session, "bogus", "x").ok());
  auto history = resume_chat::get_session_history(pool, session);
  BOOST_REQUIRE(history.ok);
  BOOST_REQUIRE(history.messages.size() == 2u);
  BOOST_TEST(history.messages[0].contents == "it's a 'quote'; DROP");
  BOOST_TEST(history.messages[1].message_type == "assistant");
  BOOST_TEST(resume_chat::test_connection(pool).ok());
  auto doc = resume_chat::get_document_by_name(pool, "demo");
  BOOST_TEST((doc.status == resume_chat::Lookup::kFound));
}

// The worker runs as the role of migrations/002_app_role.sql, so every chat in this suite
// already proves the grants are enough; here: they are not more than that.
BOOST_AUTO_TEST_CASE(the_worker_role_can_do_only_what_it_needs) {
  get(page_url("demo"));
  BOOST_TEST(sql_value("SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity "
                       "WHERE application_name = 'resume-chat'") == env("DATABASE_USER"));
  BOOST_TEST(sql_value("SELECT count(*) > 0 FROM documents", {}, true) == "t");
  for (const char* statement :
       {"UPDATE chats SET contents = 'x'", "UPDATE chats SET message_type = 'user'",
        "UPDATE chats SET session_uuid = gen_random_uuid()", "UPDATE chats SET timestamp = now()",
        "DELETE FROM chats", "TRUNCATE chats",
        "INSERT INTO documents (name) VALUES ('evil')", "UPDATE documents SET resume = ''",
        "DELETE FROM documents", "DROP TABLE chats", "CREATE TABLE evil (x int)",
        "ALTER TABLE chats ADD COLUMN evil int", "SELECT setval('chats_id_seq', 1)",
        "CREATE ROLE evil"}) {
    std::string error;
    try {
      sql(statement, {}, true);
    } catch (const std::exception& e) {
      error = e.what();
    }
    BOOST_TEST((contains(error, "permission denied") || contains(error, "must be owner")),
               statement << ": " << error);
  }
  // The one change it may make to a stored row: marking a reply superseded (003).
  BOOST_TEST(sql("UPDATE chats SET superseded_at = now() WHERE false", {}, true).empty());
}

BOOST_AUTO_TEST_CASE(dead_connections_are_replaced_after_a_restart) {
  resume_chat::DbPool pool(stack_database(3, 1000));
  BOOST_TEST(pool.open().ok());
  BOOST_REQUIRE(std::system("scripts/test-stack pg-stop >/dev/null && "
                            "scripts/test-stack pg-start >/dev/null") == 0);
  // The pooled connection died with the server; the next use must not fail.
  BOOST_TEST(resume_chat::save_message(pool, resume_chat::new_uuid4(), "user", "after").ok());
  BOOST_TEST(pool.stats().replaced >= 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(chat)

namespace {

int chat_rows() { return std::stoi(sql_value("SELECT count(*) FROM chats")); }

std::string simulator(const std::string& path, const std::string& method = "GET") {
  return http({method, env("SIM_URL") + path, "", {}, 10}).body;
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_turns_are_streamed_stored_and_carry_history) {
  const std::string token = session_token();
  HttpResponse first = post_chat(token, "What should I improve first?");
  BOOST_TEST(first.status == 200);
  BOOST_TEST(contains(first.header("content-type"), "text/event-stream"));
  BOOST_TEST(done(first), first.body);
  auto events = events_of(first.body);
  BOOST_TEST(events.size() > 20u);
  const std::string reply = reply_text(events);
  BOOST_TEST(contains(reply, "local simulator"));

  HttpResponse second = post_chat(token, "And then? [sim:echo]");
  BOOST_TEST(done(second));
  BOOST_TEST(reply_text(events_of(second.body)) == "echo: 3 messages; last: And then? [sim:echo]");

  Rows rows = sql("SELECT message_type, contents FROM chats WHERE session_uuid = $1 ORDER BY id",
                  {uuid_of(token)});
  BOOST_REQUIRE(rows.size() == 4u);
  BOOST_TEST(rows[0][0] == "user");
  BOOST_TEST(rows[0][1] == "What should I improve first?");
  BOOST_TEST(rows[1][0] == "assistant");
  BOOST_TEST(rows[1][1] == reply);
  BOOST_TEST(rows[2][1] == "And then? [sim:echo]");
  BOOST_TEST(rows[3][1] == "echo: 3 messages; last: And then? [sim:echo]");
}

BOOST_AUTO_TEST_CASE(request_to_claude_has_the_contracted_shape) {
  simulator("/_sim/requests", "DELETE");
  const std::string name = "verbatim-doc";
  sql("INSERT INTO documents (name, resume, jd) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      {name, "R&D <Team> a/b \"quoted\"", "JD with <b>tags</b> & ampersands"});
  BOOST_TEST(done(post_chat(session_token(name), "hi")));
  std::string requests = simulator("/_sim/requests");
  BOOST_TEST(contains(requests, "R&D <Team> a/b \\\"quoted\\\""), requests.substr(0, 2000));
  BOOST_TEST(contains(requests, "\"cache_control\":{\"type\":\"ephemeral\"}"));
  BOOST_TEST(contains(requests, "JD with <b>tags</b> & ampersands"));
  BOOST_TEST(!contains(requests, "&amp;"));
  BOOST_TEST(contains(requests, "\"anthropic-version\":\"2023-06-01\""));
  BOOST_TEST(contains(requests, "\"content-type\":\"application/json\""));
  BOOST_TEST(contains(requests, "\"model\":\"claude-haiku-4-5-20251001\""));
  BOOST_TEST(contains(requests, "\"max_tokens\":2048"));
  BOOST_TEST(contains(requests, "\"stream\":true"));
  BOOST_TEST(contains(requests, "\"x-api-key\":\"***\""));
}

// Thirty replies that failed left thirty user messages of ~2,000 estimated tokens each; the
// next request re-sends only the newest that fit HISTORY_MAX_TOKENS (32,000 by default),
// the new question always among them, and the log says how many were left out.
BOOST_AUTO_TEST_CASE(a_long_session_re_sends_only_what_fits_the_history_budget) {
  const std::string token = session_token();
  sql("INSERT INTO chats (session_uuid, message_type, contents) "
      "SELECT $1, 'user', 'old-turn-' || lpad(i::text, 2, '0') || ' ' || repeat('x', 6988) "
      "FROM generate_series(0, 29) AS i ORDER BY i",
      {uuid_of(token)});
  simulator("/_sim/requests", "DELETE");
  HttpResponse r = post_chat(token, "the question");
  BOOST_TEST(done(r), r.body.substr(0, 300));
  const std::string requests = simulator("/_sim/requests");
  BOOST_TEST(contains(requests, "the question"));
  // 7,000 bytes → 2,000 + 4 tokens each: 15 of them and the question fit, 16 would not.
  BOOST_TEST(contains(requests, "old-turn-15 "));
  BOOST_TEST(contains(requests, "old-turn-29 "));
  BOOST_TEST(!contains(requests, "old-turn-14 "));
  BOOST_TEST(requests.size() < 32000u * 7 / 2 + 20000u);  // the budget plus the prompt
  BOOST_TEST(!worker_log_line({"\"session\":\"" + uuid_of(token) + "\"",
                               "\"history_turns_dropped\":15,"}).empty());
}

// Pages may reuse a document read less than DOCUMENT_CACHE_MS (1 s) ago; the chat always
// builds its prompt from the row as it is now.
BOOST_AUTO_TEST_CASE(an_edited_document_reaches_the_chat_at_once_and_pages_within_a_second) {
  const std::string name = "edited-doc";
  sql("DELETE FROM documents WHERE name = $1", {name});
  sql("INSERT INTO documents (name, resume, jd) VALUES ($1, 'resume before', 'jd')", {name});
  const auto loaded = std::chrono::steady_clock::now();
  BOOST_TEST(contains(get(page_url(name)).body, "resume before"));
  sql("UPDATE documents SET resume = 'resume after' WHERE name = $1", {name});
  HttpResponse again = get(page_url(name));
  if (std::chrono::steady_clock::now() - loaded < std::chrono::milliseconds(900)) {
    BOOST_TEST(contains(again.body, "resume before"));  // from the cache
  }
  simulator("/_sim/requests", "DELETE");
  BOOST_TEST(done(post_chat(session_token(name), "hi [sim:echo]")));
  const std::string requests = simulator("/_sim/requests");
  BOOST_TEST(contains(requests, "resume after"));
  BOOST_TEST(!contains(requests, "resume before"));
  std::this_thread::sleep_until(loaded + std::chrono::milliseconds(1100));
  BOOST_TEST(contains(get(page_url(name)).body, "resume after"));
  sql("DELETE FROM documents WHERE name = $1", {name});
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  BOOST_TEST(get(page_url(name)).status == 404);
}

BOOST_AUTO_TEST_CASE(tokens_reach_the_client_as_they_are_produced) {
  HttpResponse r = post_chat(session_token(), "slowly [sim:slow]");
  BOOST_TEST(done(r));
  // 300 ms between tokens upstream: the client must see many separate arrivals, one per
  // token, not one buffered block at the end.
  size_t arrivals_with_tokens = 0;
  for (const auto& chunk : r.chunks) arrivals_with_tokens += contains(chunk.second, "event: token");
  BOOST_TEST(arrivals_with_tokens > 10u);
}

BOOST_AUTO_TEST_CASE(each_simulator_scenario_gives_text_or_a_clear_error) {
  struct Case { const char* message; bool complete; const char* error; };
  for (Case c : {Case{"[sim:tiny-chunks]", true, ""}, Case{"[sim:crlf]", true, ""},
                 Case{"[sim:cr]", true, ""}, Case{"[sim:noise]", true, ""},
                 Case{"[sim:thinking]", true, ""}, Case{"[sim:tool_use]", true, ""},
                 Case{"[sim:flaky-529]", true, ""}, Case{"[sim:flaky-429]", true, ""},
                 Case{"[sim:error-midstream]", false, "overloaded"},
                 Case{"[sim:drop]", false, "interrupted"},
                 Case{"[sim:reset]", false, "interrupted"},
                 Case{"[sim:truncated]", false, "interrupted"},
                 Case{"[sim:http-400]", false, "could not answer this message"},  // no internal codes
                 Case{"[sim:http-401]", false, "Error: Unable to connect to Claude API. Please check API key."},
                 Case{"[sim:http-529]", false, "overloaded"},
                 Case{"[sim:http-429]", false, "too many requests"}}) {
    const std::string token = session_token();
    HttpResponse r = post_chat(token, c.message);
    BOOST_TEST(r.status == 200, c.message);
    BOOST_TEST(done(r) == c.complete, c.message << ": " << r.body.substr(r.body.size() > 300 ? r.body.size() - 300 : 0));
    if (!c.complete) BOOST_TEST(contains(last_error(r), c.error), c.message << ": " << last_error(r));
    std::string text = reply_text(events_of(r.body));
    BOOST_TEST(!contains(text, "SECRET THOUGHT"));
    BOOST_TEST(!contains(text, "TOOL INPUT"));
    // What the user saw is what is stored; a failed turn without text stores no reply.
    std::string stored = sql_value(
        "SELECT coalesce(string_agg(contents, ''), '') FROM chats WHERE session_uuid = $1 "
        "AND message_type = 'assistant'", {uuid_of(token)});
    BOOST_TEST(stored == text, c.message);
    // And the next request in that session is still valid.
    BOOST_TEST(done(post_chat(token, "next [sim:echo]")), c.message);
  }
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused_without_touching_the_database) {
  const std::string token = session_token();
  const int rows_before = chat_rows();
  std::string tampered = token;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  std::string other_doc_token = session_token("verbatim-doc");
  struct Case { HttpResponse response; long status; const char* text; };
  std::vector<Case> cases;
  cases.push_back({post_chat("v1.forged", "hi"), 403, "not valid"});
  cases.push_back({post_chat(tampered, "hi"), 403, "not valid"});
  cases.push_back({post_chat(token, "   \n  "), 400, "Please type a message"});
  cases.push_back({post_chat(token, std::string(8001, 'x')), 413, "too long"});
  cases.push_back({post_chat(token, "hi", "text/plain"), 415, "JSON"});
  cases.push_back({http({"POST", base_url() + "/chat", "{not json", {"Content-Type: application/json"}, 10}), 400, "JSON object"});
  cases.push_back({http({"POST", base_url() + "/chat", "[1]", {"Content-Type: application/json"}, 10}), 400, "JSON object"});
  cases.push_back({http({"POST", base_url() + "/chat", "{\"message\":\"hi\"}", {"Content-Type: application/json"}, 10}), 400, "no session"});
  cases.push_back({http({"GET", base_url() + "/chat", "", {}, 10}), 405, "POST"});
  cases.push_back({http({"POST", base_url() + "/chat", "{\"session\":\"" + token + "\",\"message\":\"a\xff\"}", {"Content-Type: application/json"}, 10}), 400, "UTF-8"});
  for (const Case& c : cases) {
    BOOST_TEST(c.response.status == c.status, c.text << ": " << c.response.body);
    BOOST_TEST(contains(last_error(c.response), c.text), last_error(c.response));
  }
  BOOST_TEST(chat_rows() == rows_before);
  (void)other_doc_token;
}

HttpResponse post_regenerate(const std::string& token, const std::string& message) {
  return http({"POST", base_url() + "/chat",
               "{\"session\":" + json_string(token) + ",\"message\":" + json_string(message) +
                   ",\"regenerate\":true}",
               {"Content-Type: application/json"}, 60});
}

// The messages of each request the simulator received whose last user turn has `marker`:
// one string per request, "role: text" per message, in order.
std::vector<std::string> requests_with(const std::string& marker) {
  rapidjson::Document doc;
  doc.Parse(simulator("/_sim/requests").c_str());
  std::vector<std::string> out;
  if (!doc.IsArray()) return out;
  for (const auto& request : doc.GetArray()) {
    std::string messages;
    for (const auto& m : request["body"]["messages"].GetArray()) {
      std::string text;
      if (m["content"].IsString()) text = m["content"].GetString();
      else for (const auto& block : m["content"].GetArray()) text += block["text"].GetString();
      messages += std::string(m["role"].GetString()) + ": " + text + "\n";
    }
    if (contains(messages.substr(messages.rfind("user: ")), marker)) out.push_back(messages);
  }
  return out;
}

// Retry after a failed reply (docs/architecture.md, "The /chat contract"): the question is stored once, the
// partial reply is kept but marked, and Claude gets the question once, without the partial.
BOOST_AUTO_TEST_CASE(regenerate_replaces_a_failed_reply_and_stores_the_question_once) {
  const std::string token = session_token();
  const std::string question = "Which gaps first? " + resume_chat::new_uuid4() + " [sim:flaky-midstream]";
  BOOST_TEST(done(post_chat(token, "Hello [sim:echo]")));
  HttpResponse failed = post_chat(token, question);
  BOOST_TEST(!done(failed));
  BOOST_TEST(contains(last_error(failed), "overloaded"));
  const std::string partial = reply_text(events_of(failed.body));
  BOOST_TEST(!partial.empty());

  HttpResponse again = post_regenerate(token, question);
  BOOST_TEST(again.status == 200);
  BOOST_TEST(done(again), again.body);
  BOOST_TEST(reply_text(events_of(again.body)) == "echo: 3 messages; last: " + question);

  Rows rows = sql("SELECT message_type, contents, superseded_at IS NOT NULL FROM chats "
                  "WHERE session_uuid = $1 ORDER BY id", {uuid_of(token)});
  BOOST_REQUIRE(rows.size() == 5u);
  BOOST_TEST((rows[2] == std::vector<std::string>{"user", question, "f"}));
  BOOST_TEST((rows[3] == std::vector<std::string>{"assistant", partial, "t"}));
  BOOST_TEST(rows[4][0] == "assistant");
  BOOST_TEST(rows[4][2] == "f");
  auto sent = requests_with(question);
  BOOST_REQUIRE(sent.size() == 2u);
  BOOST_TEST(sent[0] == sent[1], "the regenerated request is the first one again");
  size_t times = 0;
  for (size_t at = 0; (at = sent[1].find(question, at)) != std::string::npos; ++at) ++times;
  BOOST_TEST(times == 1u);
  BOOST_TEST(!contains(sent[1], partial));
  BOOST_TEST(contains(worker_log_line({uuid_of(token), "\"superseded\":1"}), "\"status\":200"));

  // The next turn's history has the new reply, not the partial one.
  HttpResponse next = post_chat(token, "And then? [sim:echo]");
  BOOST_TEST(reply_text(events_of(next.body)) == "echo: 5 messages; last: And then? [sim:echo]");
  BOOST_TEST(!contains(requests_with("And then?").at(0), partial));
}

// Retry when the first attempt never stored the question (refused before it, or lost on the
// way): the question is stored now, once.
BOOST_AUTO_TEST_CASE(regenerate_of_a_question_never_stored_stores_it) {
  const std::string token = session_token();
  BOOST_TEST(done(post_chat(token, "First [sim:echo]")));
  HttpResponse r = post_regenerate(token, "Never arrived [sim:echo]");
  BOOST_TEST(done(r));
  BOOST_TEST(reply_text(events_of(r.body)) == "echo: 3 messages; last: Never arrived [sim:echo]");
  BOOST_TEST(sql_value("SELECT count(*) FROM chats WHERE session_uuid = $1 AND contents = $2",
                       {uuid_of(token), "Never arrived [sim:echo]"}) == "1");
}

BOOST_AUTO_TEST_CASE(one_stream_per_session) {
  const std::string token = session_token();
  std::thread slow([&] { post_chat(token, "[sim:slow]"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  HttpResponse second = post_chat(token, "me too");
  slow.join();
  BOOST_TEST(second.status == 409);
  BOOST_TEST(contains(last_error(second), "still streaming"));
  BOOST_TEST(done(post_chat(token, "after [sim:echo]")));
}

// The test stack allows 64 streams (STREAM_CAPACITY) on 8 request threads: streams hold no
// thread, so with all 64 open pages still load and a 65th chat is told at once.
BOOST_AUTO_TEST_CASE(past_stream_capacity_a_chat_is_refused_at_once_and_pages_still_load) {
  const int capacity = std::stoi(env("STREAM_CAPACITY"));
  std::vector<std::string> tokens;
  for (int i = 0; i < capacity; ++i) tokens.push_back(session_token());
  std::vector<std::thread> streams;
  std::atomic<int> finished{0}, completed{0};
  for (int i = 0; i < capacity; ++i) {
    streams.emplace_back([&, i] {
      completed += done(post_chat(tokens[i], "[sim:slow]"));
      ++finished;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  HttpResponse busy = post_chat(session_token(), "one more");
  HttpResponse page = get(page_url("demo"));
  const int finished_meanwhile = finished;  // neither waited for a stream to end
  for (auto& t : streams) t.join();
  BOOST_TEST(busy.status == 503);
  BOOST_TEST(contains(last_error(busy), "busy"));
  BOOST_TEST(busy.header("retry-after") == "5");
  BOOST_TEST(page.status == 200);
  BOOST_TEST(finished_meanwhile == 0);
  BOOST_TEST(completed == capacity);
  BOOST_TEST(done(post_chat(session_token(), "now there is room [sim:echo]")));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_input)

using namespace ::chat;

namespace {

std::string expand(std::string text, const std::map<std::string, std::string>& tokens) {
  if (text == "{EMPTY}") return "";
  for (const auto& [name, value] : tokens) {
    for (size_t at; (at = text.find(name)) != std::string::npos;) text.replace(at, name.size(), value);
  }
  for (size_t at; (at = text.find("{REPEAT:")) != std::string::npos;) {
    size_t end = text.find('}', at);
    std::string spec = text.substr(at + 8, end - at - 8);  // c:n
    text.replace(at, end - at + 1, std::string(std::stoul(spec.substr(2)), spec[0]));
  }
  for (size_t at; (at = text.find("\\x")) != std::string::npos;) {
    text.replace(at, 4, 1, static_cast<char>(std::stoi(text.substr(at + 2, 2), nullptr, 16)));
  }
  return text;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
    fields.push_back(line.substr(start, tab - start));
  }
  fields.push_back(line.substr(start));
  return fields;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_case_in_the_table) {
  const std::string token = session_token();
  resume_chat::SessionSigner signer(env("SESSION_SECRET"));
  auto now = static_cast<int64_t>(std::time(nullptr));
  std::string tampered = token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  std::string moved = token.substr(0, token.rfind('.'));
  moved = moved.substr(0, moved.rfind('.') + 1) + resume_chat::base64url_encode("verbatim-doc") +
          token.substr(token.rfind('.'));
  std::map<std::string, std::string> tokens{
      {"{TOKEN}", token},
      {"{TAMPERED}", tampered},
      {"{EXPIRED}", signer.sign({resume_chat::new_uuid4(), "demo", now - 2 * 86400})},
      {"{OTHER_DOC}", moved}};
  const std::string rows_before = sql_value("SELECT count(*) FROM chats");
  const std::string documents_before = sql_value("SELECT count(*) FROM documents");
  std::ifstream table("tests/data/bad_requests.tsv");
  std::string line;
  int cases = 0;
  while (std::getline(table, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split_tabs(line);
    BOOST_REQUIRE_MESSAGE(f.size() == 7u, "bad table line: " << line);
    std::vector<std::string> headers;
    std::string type = expand(f[3], tokens);
    if (!type.empty()) headers.push_back("Content-Type: " + type);
    HttpResponse r = http({f[1], base_url() + expand(f[2], tokens), expand(f[4], tokens), headers, 30});
    BOOST_TEST(r.status == std::stol(f[5]), f[0] << ": got " << r.status << " " << r.body.substr(0, 200));
    std::string text = expand(f[6], tokens);
    BOOST_TEST(contains(r.body, text), f[0] << ": missing '" << text << "' in " << r.body.substr(0, 200));
    ++cases;
  }
  BOOST_TEST(cases >= 30);
  BOOST_TEST(sql_value("SELECT count(*) FROM chats") == rows_before);
  BOOST_TEST(sql_value("SELECT count(*) FROM documents") == documents_before);
}

BOOST_AUTO_TEST_CASE(injection_corpus_is_stored_verbatim) {
  const std::vector<std::string> corpus = {
      "'; DROP TABLE chats; --", "\" OR 1=1 --", "'); DELETE FROM documents; --",
      "$1 $2 \\x00 E'\\\\'", "1; SELECT pg_sleep(10); --", "<script>alert(1)</script>",
      "<img src=x onerror=alert(1)>", "{{resume}} {{{jd}}} {{#x}}{{/x}}"};
  const std::string token = session_token();
  for (const auto& attack : corpus) {
    HttpResponse r = post_chat(token, attack + " [sim:echo]");
    BOOST_TEST(done(r), attack);
  }
  Rows rows = sql("SELECT contents FROM chats WHERE session_uuid = $1 AND message_type = 'user' "
                  "ORDER BY id", {uuid_of(token)});
  BOOST_REQUIRE(rows.size() == corpus.size());
  for (size_t i = 0; i < corpus.size(); ++i) BOOST_TEST(rows[i][0] == corpus[i] + " [sim:echo]");
  BOOST_TEST(sql_value("SELECT count(*) FROM documents WHERE name = 'demo'") == "1");
}

// Page loads are limited per address (enumerating names: a 200 or a 404 says whether one
// exists). From an address of its own, so no other test shares the bucket; several clients
// at once, so the limit is crossed however slow the build.
BOOST_AUTO_TEST_CASE(page_loads_are_limited_per_address) {
  const int burst = std::stoi(env("PAGE_BURST"));
  std::atomic<int> answered{0}, sent{0};
  std::atomic<bool> refused{false};
  HttpResponse first_refusal;
  std::mutex mu;
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      while (!refused && sent++ < burst * 50) {
        HttpResponse r = http({"GET", base_url() + "/?q=guess-" + std::to_string(sent.load()), "", {}, 30},
                              "127.0.0.3");
        if (r.status == 429) {
          std::lock_guard<std::mutex> lock(mu);
          if (!refused) first_refusal = r;
          refused = true;
        } else if (r.status == 404) {
          ++answered;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  BOOST_TEST(refused.load());
  BOOST_TEST(answered.load() > burst);  // the burst itself passes
  BOOST_TEST(first_refusal.status == 429);
  expect_security_headers(first_refusal, "page 429");
  // Per address: another one is not held back.
  BOOST_TEST(http({"GET", page_url("demo"), "", {}, 10}, "127.0.0.4").status == 200);
}

BOOST_AUTO_TEST_CASE(chat_rate_limit_answers_429) {
  int limited = 0;
  for (int i = 0; i < 400 && limited == 0; ++i) {
    HttpResponse r = http({"GET", base_url() + "/chat", "", {}, 10});
    if (r.status == 429) ++limited;
  }
  BOOST_TEST(limited > 0);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // let the bucket drain
}

BOOST_AUTO_TEST_SUITE_END()

// Operations: /metrics for a local scraper only, one JSON log line for every request.
BOOST_AUTO_TEST_SUITE(operations)

namespace {

// The value of one series (`name{labels}`) in a /metrics text; -1 when absent.
double metric(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

std::string metrics_text() {
  HttpResponse r = get(base_url() + "/metrics");
  BOOST_REQUIRE(r.status == 200);
  return r.body;
}

std::string log_line_of(const std::string& request_id) {
  return worker_log_line({"\"request_id\":\"" + request_id + "\""});
}

}  // namespace

BOOST_AUTO_TEST_CASE(metrics_count_pages_chats_tokens_and_upstream_errors) {
  HttpResponse first = get(base_url() + "/metrics");
  BOOST_TEST(first.status == 200);
  BOOST_TEST(contains(first.header("content-type"), "text/plain; version=0.0.4"));
  const std::string before = first.body;
  const std::string pages = "resume_chat_requests_total{route=\"/\",status=\"200\"}";
  const std::string not_found = "resume_chat_requests_total{route=\"/\",status=\"404\"}";
  const std::string chats = "resume_chat_requests_total{route=\"/chat\",status=\"200\"}";
  const std::string complete = "resume_chat_streams_total{outcome=\"complete\"}";
  const std::string overloaded = "resume_chat_upstream_errors_total{type=\"overloaded_error\"}";
  const std::string output = "resume_chat_tokens_total{kind=\"output\"}";
  const std::string ttft = "resume_chat_time_to_first_token_seconds_count";
  const std::string durations = "resume_chat_stream_duration_seconds_count";
  const std::string retries = "resume_chat_upstream_retries_total";

  BOOST_TEST(get(page_url("no-such-document-for-metrics")).status == 404);
  const std::string token = session_token();  // one page load
  BOOST_TEST(done(post_chat(token, "count me [sim:echo]")));
  BOOST_TEST(!done(post_chat(token, "[sim:http-529]")));  // retried, then fails
  const std::string after = metrics_text();

  BOOST_TEST(metric(after, pages) >= metric(before, pages) + 1);
  BOOST_TEST(metric(after, not_found) >= std::max(metric(before, not_found), 0.0) + 1);
  BOOST_TEST(metric(after, chats) >= std::max(metric(before, chats), 0.0) + 2);
  BOOST_TEST(metric(after, complete) >= std::max(metric(before, complete), 0.0) + 1);
  BOOST_TEST(metric(after, overloaded) >= std::max(metric(before, overloaded), 0.0) + 1);
  BOOST_TEST(metric(after, output) > metric(before, output));
  BOOST_TEST(metric(after, ttft) >= metric(before, ttft) + 1);
  BOOST_TEST(metric(after, durations) >= metric(before, durations) + 2);
  BOOST_TEST(metric(after, retries) >= metric(before, retries) + 1);
  BOOST_TEST(metric(after, "resume_chat_streams_in_flight") == 0);
  BOOST_TEST(metric(after, "resume_chat_db_pool_max") >= 1);
  BOOST_TEST(metric(after, "resume_chat_db_pool_connections{state=\"idle\"}") >= 1);
  BOOST_TEST(metric(after, "resume_chat_tokens_total{kind=\"cache_read\"}") >= 0);
  BOOST_TEST(metric(after, "resume_chat_page_document_reads_total{source=\"database\"}") >= 1);
}

BOOST_AUTO_TEST_CASE(metrics_are_refused_to_other_addresses) {
  HttpResponse refused = http({"GET", base_url() + "/metrics", "", {}, 10}, "127.0.0.2");
  BOOST_TEST(refused.status == 403);
  BOOST_TEST(!contains(refused.body, "resume_chat_"));
  BOOST_TEST(http({"GET", page_url("demo"), "", {}, 10}, "127.0.0.2").status == 200);  // the site itself is for everyone
}

// Whole responses carry their length, so nginx passes them on without chunked encoding;
// only the chat's stream is open-ended.
BOOST_AUTO_TEST_CASE(whole_responses_carry_content_length) {
  for (const std::string& url : {page_url("demo"), page_url("no-such-document"),
                                base_url() + "/healthz", base_url() + "/metrics",
                                base_url() + "/chat"}) {
    HttpResponse r = get(url);
    BOOST_TEST(r.header("content-length") == std::to_string(r.body.size()), url);
    BOOST_TEST(r.header("transfer-encoding").empty(), url);
  }
  HttpResponse head = http({"HEAD", page_url("demo"), "", {}, 10});
  BOOST_TEST(std::stoul(head.header("content-length")) == get(page_url("demo")).body.size());
}

BOOST_AUTO_TEST_CASE(every_request_gets_one_json_log_line_without_contents_or_secrets) {
  const std::string words = "my-private-words-" + std::to_string(std::time(nullptr));
  HttpResponse page = get(page_url("demo"));
  HttpResponse health = get(base_url() + "/healthz");
  HttpResponse wrong_method = get(base_url() + "/chat");
  const std::string token = session_token();
  HttpResponse chat_reply = post_chat(token, words + " [sim:echo]");
  BOOST_REQUIRE(done(chat_reply));
  struct Case { const HttpResponse& response; const char* route; int status; };
  for (Case c : {Case{page, "/", 200}, Case{health, "/healthz", 200},
                 Case{wrong_method, "/chat", 405}, Case{chat_reply, "/chat", 200}}) {
    const std::string id = c.response.header("x-request-id");
    BOOST_REQUIRE_MESSAGE(id.size() == 32u, c.route << ": no X-Request-Id");
    const std::string line = log_line_of(id);
    BOOST_TEST(line.front() == '{');
    BOOST_TEST(line.back() == '}');
    BOOST_TEST(contains(line, "\"route\":\"" + std::string(c.route) + "\""), line);
    BOOST_TEST(contains(line, "\"status\":" + std::to_string(c.status) + ","), line);
    BOOST_TEST(contains(line, "\"duration_us\":"), line);
  }
  const std::string chat_line = log_line_of(chat_reply.header("x-request-id"));
  for (const std::string& field :
       {"\"session\":\"" + uuid_of(token) + "\"", std::string("\"first_token_us\":"),
        std::string("\"output_tokens\":"), std::string("\"cache_read_input_tokens\":"),
        std::string("\"stop_reason\":\"end_turn\""), std::string("\"upstream_request_id\":\"req_")}) {
    BOOST_TEST(contains(chat_line, field), field << " in " << chat_line);
  }
  const std::string log = read_file(env("STACK_DIR") + "/worker.log");
  BOOST_TEST(!contains(log, words));  // message contents stay out of the log
  BOOST_TEST(!contains(log, env("ANTHROPIC_API_KEY")));
  BOOST_TEST(!contains(log, env("DATABASE_PASSWORD")));
}

// Every route's responses, the worker's and nginx's own (errors, refusals, static files),
// carry the security headers: nginx drops inherited add_header lines wherever a location
// has its own, so each such location includes the same file again.
BOOST_AUTO_TEST_CASE(every_route_carries_the_security_headers) {
  HttpResponse page = get(page_url("demo"));
  expect_security_headers(page, "page");
  expect_security_headers(get(base_url() + "/"), "front page");
  expect_security_headers(http({"HEAD", page_url("demo"), "", {}, 10}), "HEAD page");
  expect_security_headers(get(page_url("no-such-document")), "404 page");
  expect_security_headers(http({"POST", page_url("demo"), "x=1", {}, 10}), "405 page");
  const std::string token = session_token();
  HttpResponse stream = post_chat(token, "headers? [sim:echo]");
  BOOST_TEST(done(stream));
  expect_security_headers(stream, "chat stream");
  expect_security_headers(post_chat("v1.forged", "hi"), "chat 403");
  expect_security_headers(get(base_url() + "/chat"), "chat 405");
  expect_security_headers(http({"POST", base_url() + "/chat", std::string(70000, 'x'),
                                {"Content-Type: application/json"}, 10}), "chat 413 (nginx)");
  expect_security_headers(get(base_url() + "/healthz"), "/healthz");
  expect_security_headers(get(base_url() + "/metrics"), "/metrics");
  expect_security_headers(http({"GET", base_url() + "/metrics", "", {}, 10}, "127.0.0.2"), "/metrics 403");
  size_t at = page.body.find("href=\"/static/");
  BOOST_REQUIRE(at != std::string::npos);
  const std::string hashed = page.body.substr(at + 6, page.body.find('"', at + 6) - at - 6);
  HttpResponse asset = get(base_url() + hashed);
  BOOST_TEST(asset.status == 200, hashed);
  BOOST_TEST(contains(asset.header("cache-control"), "immutable"), hashed);
  expect_security_headers(asset, "hashed " + hashed);
  expect_security_headers(get(base_url() + "/static/app.css"), "unhashed static");
  expect_security_headers(get(base_url() + "/static/unavailable.html"), "restart page, direct");
  expect_security_headers(get(base_url() + "/static/no-such.css"), "static 404");
  expect_security_headers(get(base_url() + "/unavailable.html"), "internal location, 404");
  expect_security_headers(get(base_url() + "/nothing-here"), "unknown path 404");
}

// /metrics is for this host: a client elsewhere cannot get in by claiming to be local.
BOOST_AUTO_TEST_CASE(a_forged_forwarded_address_does_not_open_metrics) {
  for (const char* forged : {"127.0.0.1", "::1", "203.0.113.9, 127.0.0.1"}) {
    HttpResponse r = http({"GET", base_url() + "/metrics", "", {std::string("X-Forwarded-For: ") + forged}, 10},
                          "127.0.0.2");
    BOOST_TEST(r.status == 403, forged);
    BOOST_TEST(!contains(r.body, "resume_chat_"), forged);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// The upstream engine as a deployment meets it: the API over TLS and HTTP/2 (the stack's
// nginx front, a CA of the stack's own in ANTHROPIC_CA_FILE), many streams on a few
// connections, a reader that stops reading, a silent API.
BOOST_AUTO_TEST_SUITE(upstream)

using namespace ::chat;

namespace {

// The API front's access log: "connection requests reused protocol msec time method uri status".
struct FrontRequest {
  std::string connection, protocol, method, uri, status;
};

std::vector<FrontRequest> front_requests(size_t skip_lines) {
  std::istringstream log(read_file(env("STACK_DIR") + "/api-front/access.log"));
  std::vector<FrontRequest> requests;
  size_t line_no = 0;
  for (std::string line; std::getline(log, line); ++line_no) {
    if (line_no < skip_lines) continue;
    std::istringstream fields(line);
    FrontRequest r;
    std::string requests_on_connection, reused, msec, time;
    fields >> r.connection >> requests_on_connection >> reused >> r.protocol >> msec >> time >>
        r.method >> r.uri >> r.status;
    requests.push_back(r);
  }
  return requests;
}

size_t front_log_lines() { return front_requests(0).size(); }

// A browser that sends its chat and then reads nothing, with a receive window of a few KB.
int stuck_reader(const std::string& token) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int small = 2048;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(env("APP_PORT"))));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  const std::string body = "{\"session\":\"" + token + "\",\"message\":\"[sim:long] stuck\"}";
  const std::string request = "POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                              "application/json\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\n\r\n" + body;
  BOOST_REQUIRE(send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  return fd;
}

}  // namespace

BOOST_AUTO_TEST_CASE(chats_reach_the_api_over_tls_and_http2) {
  BOOST_REQUIRE(env("ANTHROPIC_BASE_URL").rfind("https://", 0) == 0);
  const size_t before = front_log_lines();
  BOOST_TEST(done(post_chat(session_token(), "over TLS [sim:echo]")));
  auto requests = front_requests(before);
  BOOST_REQUIRE(requests.size() == 1u);
  BOOST_TEST(requests[0].protocol == "HTTP/2.0");
  BOOST_TEST(requests[0].uri == "/v1/messages");
  BOOST_TEST(requests[0].status == "200");
}

BOOST_AUTO_TEST_CASE(many_streams_share_a_few_connections) {
  const int streams = 60;
  std::vector<std::string> tokens;
  for (int i = 0; i < streams; ++i) tokens.push_back(session_token());
  const size_t before = front_log_lines();
  std::atomic<int> completed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < streams; ++i) {
    clients.emplace_back([&, i] { completed += done(post_chat(tokens[i], "[sim:slow] shared")); });
  }
  for (auto& t : clients) t.join();
  BOOST_TEST(completed == streams);
  std::set<std::string> connections;
  int chats = 0;
  for (const auto& r : front_requests(before)) {
    if (r.uri != "/v1/messages") continue;
    ++chats;
    connections.insert(r.connection);
    BOOST_TEST(r.protocol == "HTTP/2.0");
  }
  BOOST_TEST(chats == streams);
  BOOST_TEST(connections.size() <= 2u, streams << " streams used " << connections.size()
                                                << " connections");
  BOOST_TEST(contains(get(base_url() + "/metrics").body,
                      "resume_chat_upstream_connections_opened_total"));
}

// A reader that takes nothing fills only its own buffers: the streams beside it complete,
// and its own reply is stored once it leaves.
BOOST_AUTO_TEST_CASE(a_reader_that_stops_reading_does_not_hold_up_the_others) {
  const std::string stuck_token = session_token();
  int stuck = stuck_reader(stuck_token);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::atomic<int> completed{0};
  std::vector<std::thread> others;
  for (int i = 0; i < 3; ++i) {
    others.emplace_back([&] { completed += done(post_chat(session_token(), "beside it")); });
  }
  for (auto& t : others) t.join();
  BOOST_TEST(completed == 3);
  close(stuck);
  std::string stored;
  for (int i = 0; i < 100; ++i) {
    stored = sql_value("SELECT count(*) FROM chats WHERE session_uuid = $1 AND message_type = 'assistant'",
                       {uuid_of(stuck_token)});
    if (stored == "1") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_TEST(stored == "1");
}

// The stall scenario answers 200 and message_start, then is silent. The error comes the idle
// timeout (CLAUDE_IDLE_TIMEOUT_S=4 in the test stack) after that last byte, and the request
// is not sent again: it had started.
BOOST_AUTO_TEST_CASE(a_silent_api_ends_in_an_error_after_the_idle_timeout_without_a_retry) {
  simulator("/_sim/requests", "DELETE");
  const std::string token = session_token();
  const auto started = std::chrono::steady_clock::now();
  HttpResponse silent = post_chat(token, "anyone there? [sim:stall]");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST(contains(last_error(silent), "Claude stopped responding"), silent.body);
  const std::string requests = simulator("/_sim/requests");
  size_t sent = 0;
  for (size_t at = 0; (at = requests.find("anyone there?", at)) != std::string::npos; ++at) ++sent;
  BOOST_TEST(sent == 1u);
  const std::string line = worker_log_line({uuid_of(token), "\"reply\":\"timed_out\""});
  BOOST_TEST(contains(line, "\"retries\":0"), line);
  BOOST_TEST_MESSAGE("silent API: the error came " << seconds << " s after the request (idle timeout "
                                                   << env("CLAUDE_IDLE_TIMEOUT_S") << " s)");
}

BOOST_AUTO_TEST_SUITE_END()

// Faults injected for real: PostgreSQL stopped under the worker, a client that goes away,
// SIGTERM and SIGKILL of the worker. Runs last: it restarts the worker.
BOOST_AUTO_TEST_SUITE(faults)

using namespace ::chat;

namespace {

// The supervisor rewrites the file at each restart: an empty read is a write in progress.
pid_t read_pid(const std::string& path) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string text = read_file(path);
    if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) return std::stoi(text);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

pid_t worker_pid() { return read_pid(env("STACK_DIR") + "/worker.pid"); }

void wait_for_new_worker(pid_t old_pid) {
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    pid_t now = worker_pid();
    if (now != old_pid && get(page_url("demo")).status == 200) return;
  }
  BOOST_FAIL("the supervisor did not bring a new worker up");
}

}  // namespace

BOOST_AUTO_TEST_CASE(chat_during_a_database_outage_gets_the_seed_error_then_recovers) {
  const std::string token = session_token();
  BOOST_REQUIRE(std::system("scripts/test-stack pg-stop >/dev/null") == 0);
  HttpResponse down = post_chat(token, "are you there?");
  BOOST_REQUIRE(std::system("scripts/test-stack pg-start >/dev/null") == 0);
  BOOST_TEST(down.status == 503);
  BOOST_TEST(contains(last_error(down), "Unable to connect to database"));
  HttpResponse up = post_chat(token, "and now? [sim:echo]");
  BOOST_TEST(done(up));
  BOOST_TEST(reply_text(events_of(up.body)) == "echo: 1 messages; last: and now? [sim:echo]");
}

// The only statement timeout used to be the app role's own setting (002_app_role.sql); a
// worker running as another role (the seed's setup, a managed database's default user)
// waited as long as a lock lasted. Now DATABASE_STATEMENT_TIMEOUT_MS (5 s) is the worker's:
// with the role's setting removed and documents locked, a page and a chat get the seed's
// database error while the lock is still held, and both work once it is released.
BOOST_AUTO_TEST_CASE(a_locked_table_gives_the_database_error_within_the_statement_timeout) {
  const std::string role = env("DATABASE_USER");
  sql("ALTER ROLE " + role + " RESET statement_timeout");  // settings apply to new sessions:
  pid_t old_pid = worker_pid();                             // restart the worker
  BOOST_REQUIRE(kill(old_pid, SIGTERM) == 0);
  wait_for_new_worker(old_pid);
  BOOST_TEST(sql_value("SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON "
                       "r.oid = s.setrole WHERE r.rolname = $1", {role}) == "0");
  const std::string name = "locked-doc-" + std::to_string(std::time(nullptr));
  sql("INSERT INTO documents (name, resume, jd) VALUES ($1, 'r', 'j')", {name});  // not cached
  const std::string token = session_token();

  // Another session holds the lock until told to let go (at most 120 s).
  std::atomic<bool> release{false}, locked{false}, lock_taken{false};
  std::thread locker([&] {
    const std::string host = env("DATABASE_HOST"), port = env("DATABASE_PORT"),
                      db = env("DATABASE_NAME"), user = env("DB_ADMIN_USER"),
                      password = env("DB_ADMIN_PASSWORD");
    const char* keys[] = {"host", "port", "dbname", "user", "password", nullptr};
    const char* values[] = {host.c_str(), port.c_str(), db.c_str(), user.c_str(),
                            password.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, 0);
    PQclear(PQexec(conn, "BEGIN"));
    PGresult* lock = PQexec(conn, "LOCK TABLE documents IN ACCESS EXCLUSIVE MODE");
    lock_taken = PQresultStatus(lock) == PGRES_COMMAND_OK;
    PQclear(lock);
    locked = true;
    for (int i = 0; i < 1200 && !release; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    PQclear(PQexec(conn, "COMMIT"));
    PQfinish(conn);
  });
  while (!locked) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!lock_taken) {
    release = true;
    locker.join();
    BOOST_FAIL("could not lock the documents table");
  }
  HttpResponse page = http({"GET", page_url(name), "", {}, 30});
  HttpResponse chat_reply = http({"POST", base_url() + "/chat",
                                  "{\"session\":\"" + token + "\",\"message\":\"hi [sim:echo]\"}",
                                  {"Content-Type: application/json"}, 30});
  const bool answered_while_locked = !release;
  release = true;
  locker.join();
  BOOST_TEST(answered_while_locked);
  BOOST_TEST(page.status == 503, page.status << " " << page.body.substr(0, 200));
  BOOST_TEST(contains(page.body, "Error: Unable to connect to database. Please check configuration."));
  BOOST_TEST(chat_reply.status == 503, chat_reply.status << " " << chat_reply.body.substr(0, 200));
  BOOST_TEST(contains(last_error(chat_reply), "Unable to connect to database"));
  BOOST_TEST(!worker_log_line({"canceling statement due to statement timeout"}).empty());
  // Afterwards the same pooled connections serve both.
  BOOST_TEST(get(page_url(name)).status == 200);
  BOOST_TEST(done(post_chat(token, "and now? [sim:echo]")));
  sql("ALTER ROLE " + role + " SET statement_timeout = '10s'");  // as 002_app_role.sql has it
}

BOOST_AUTO_TEST_CASE(a_client_that_leaves_stops_the_reply_and_its_partial_text_is_stored) {
  const std::string token = session_token();
  HttpRequest request{"POST", base_url() + "/chat",
                      "{\"session\":\"" + token + "\",\"message\":\"[sim:slow]\"}",
                      {"Content-Type: application/json"}, 2};  // gives up after 2 s
  HttpResponse cut = http(request);
  auto left = std::chrono::steady_clock::now();
  BOOST_TEST(cut.code == CURLE_OPERATION_TIMEDOUT);
  const std::string shown = reply_text(events_of(cut.body));
  BOOST_TEST(!shown.empty());
  std::string stored;
  while (stored.empty() && std::chrono::steady_clock::now() - left < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stored = sql_value("SELECT coalesce(max(contents), '') FROM chats WHERE session_uuid = $1 "
                       "AND message_type = 'assistant'", {uuid_of(token)});
  }
  double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - left).count();
  BOOST_TEST(stored.rfind(shown, 0) == 0u, "stored '" << stored << "' shown '" << shown << "'");
  BOOST_TEST(stored.size() < 150u);  // stopped early, not the whole reply
  BOOST_TEST_MESSAGE("partial reply stored " << after << " s after the client left");
  BOOST_TEST(done(post_chat(token, "still fine? [sim:echo]")));
}

BOOST_AUTO_TEST_CASE(a_client_that_leaves_while_claude_is_silent_frees_its_session) {
  const std::string token = session_token();
  HttpRequest request{"POST", base_url() + "/chat",
                      "{\"session\":\"" + token + "\",\"message\":\"[sim:stall]\"}",
                      {"Content-Type: application/json"}, 2};  // gives up after 2 s
  HttpResponse cut = http(request);
  auto left = std::chrono::steady_clock::now();
  BOOST_TEST(cut.code == CURLE_OPERATION_TIMEDOUT);
  BOOST_TEST(reply_text(events_of(cut.body)).empty());  // nothing was said yet
  // No write fails while Claude is silent: the worker sees nginx close the connection.
  const std::string gone = "\"session\":\"" + uuid_of(token) + "\"";
  bool logged =
      !worker_log_line({gone, "\"client\":\"gone\""}, std::chrono::seconds(30)).empty();
  double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - left).count();
  BOOST_TEST(logged, "the worker never logged the client as gone");
  BOOST_TEST_MESSAGE("silent stream stopped " << after << " s after the client left");
  BOOST_TEST(done(post_chat(token, "back again [sim:echo]")));
}

BOOST_AUTO_TEST_CASE(a_missing_prompt_template_disables_the_chat_with_the_seed_text) {
  const std::string path = env("PROMPT_TEMPLATE");
  const std::string token = session_token();
  BOOST_REQUIRE(std::rename(path.c_str(), (path + ".away").c_str()) == 0);
  HttpResponse page = get(page_url("demo"));
  HttpResponse chat_reply = post_chat(token, "hello");
  BOOST_REQUIRE(std::rename((path + ".away").c_str(), path.c_str()) == 0);
  // The seed's text with the path as configured relative to the worker's directory (the
  // project root here), never the server's absolute path: that stays in the log.
  const std::string root = root_dir() + "/";
  const std::string shown = path.rfind(root, 0) == 0 ? path.substr(root.size())
                                                     : path.substr(path.rfind('/') + 1);
  const std::string text = "Error: System prompt template not found at " + shown;
  BOOST_TEST(page.status == 503);
  BOOST_TEST(contains(page.body, text), text);
  BOOST_TEST(contains(page.body, "data-ready=\"false\""));
  BOOST_TEST(contains(page.body, "Please tell its operator."));
  BOOST_TEST(!contains(page.body, "id=\"message\""));
  BOOST_TEST(!contains(page.body, root));
  BOOST_TEST(!contains(chat_reply.body, root));
  BOOST_TEST(!worker_log_line({"\"prompt_template\":\"" + path + "\""}).empty());
  BOOST_TEST(chat_reply.status == 503);
  BOOST_TEST(last_error(chat_reply) == "{\"message\":\"" + text + "\"}");
  BOOST_TEST(sql_value("SELECT count(*) FROM chats WHERE session_uuid = $1", {uuid_of(token)}) == "0");
  BOOST_TEST(get(page_url("demo")).status == 200);
}

// A reply that ends while PostgreSQL is down is held, the reader told that saving is late,
// the session kept claimed, and the reply stored (then `done`) when the database is back.
BOOST_AUTO_TEST_CASE(a_reply_that_ends_during_a_database_outage_is_held_and_stored) {
  const std::string token = session_token();
  HttpResponse streamed;
  std::thread client([&] { streamed = post_chat(token, "[sim:slow]"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  BOOST_REQUIRE(std::system("scripts/test-stack pg-stop >/dev/null") == 0);
  std::this_thread::sleep_for(std::chrono::seconds(9));  // the reply ends (~8 s), then waits
  HttpResponse meanwhile = post_chat(token, "next question");
  BOOST_REQUIRE(std::system("scripts/test-stack pg-start >/dev/null") == 0);
  client.join();
  BOOST_TEST(meanwhile.status == 409, meanwhile.body);  // the session is still claimed
  BOOST_TEST(contains(streamed.body, "event: notice"), streamed.body.substr(0, 300));
  BOOST_TEST(done(streamed), streamed.body.substr(streamed.body.size() > 300 ? streamed.body.size() - 300 : 0));
  Rows rows = sql("SELECT contents, outcome FROM chats WHERE session_uuid = $1 AND "
                  "message_type = 'assistant'", {uuid_of(token)});
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0][0] == reply_text(events_of(streamed.body)));
  BOOST_TEST(rows[0][1] == "complete");
  BOOST_TEST(done(post_chat(token, "and now? [sim:echo]")));
}

BOOST_AUTO_TEST_CASE(reloads_and_sighup_do_not_break_streams) {
  const std::string dir = env("STACK_DIR");
  HttpResponse streamed;
  std::thread client([&] { streamed = post_chat(session_token(), "[sim:slow]"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  BOOST_REQUIRE(kill(std::stoi(read_file(dir + "/nginx.pid")), SIGHUP) == 0);  // nginx reload
  BOOST_REQUIRE(kill(worker_pid(), SIGHUP) == 0);
  client.join();
  BOOST_TEST(done(streamed), streamed.body.substr(0, 300));
  BOOST_TEST(get(page_url("demo")).status == 200);
}

BOOST_AUTO_TEST_CASE(sigterm_drains_streams_and_the_supervisor_restarts_the_worker) {
  const std::string token = session_token();
  HttpResponse streamed;
  std::thread client([&] { streamed = post_chat(token, "[sim:long] [sim:slow]"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  pid_t old_pid = worker_pid();
  BOOST_REQUIRE(kill(old_pid, SIGTERM) == 0);
  client.join();
  // The grace period (SHUTDOWN_GRACE_S=3 in the test stack) ends the slow stream with a
  // clear error; what was shown is stored.
  BOOST_TEST(contains(last_error(streamed), "restarting"), streamed.body.substr(0, 200));
  const std::string shown = reply_text(events_of(streamed.body));
  BOOST_TEST(!shown.empty());
  BOOST_TEST(sql_value("SELECT contents FROM chats WHERE session_uuid = $1 AND "
                       "message_type = 'assistant'", {uuid_of(token)}) == shown);
  wait_for_new_worker(old_pid);
  const std::string log = read_file(env("STACK_DIR") + "/worker.log");
  BOOST_TEST(contains(log, "\"msg\":\"stopped\""));
  BOOST_TEST(contains(log, "worker exited with status 0"));  // a clean exit, then restarted
  BOOST_TEST(done(post_chat(token, "after restart [sim:echo]")));
}

BOOST_AUTO_TEST_CASE(a_killed_worker_gives_a_friendly_page_until_it_is_restarted) {
  const std::string dir = env("STACK_DIR");
  pid_t supervisor = read_pid(dir + "/supervisor.pid");
  pid_t old_pid = worker_pid();
  BOOST_REQUIRE(kill(supervisor, SIGSTOP) == 0);  // hold the restart to look at the gap
  BOOST_REQUIRE(kill(old_pid, SIGKILL) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  HttpResponse page = get(page_url("demo"));
  HttpResponse chat_down = post_chat(session_token(), "hello");
  HttpResponse health_down = get(base_url() + "/healthz");
  HttpResponse static_down = get(base_url() + "/static/app.css");
  kill(supervisor, SIGCONT);
  BOOST_TEST(page.status == 503);
  BOOST_TEST(contains(page.body, "Resume chat is restarting"));
  BOOST_TEST(!contains(page.body, "nginx"));
  BOOST_TEST(chat_down.status == 502);
  expect_security_headers(page, "503 restart page");
  expect_security_headers(chat_down, "chat 502");
  expect_security_headers(health_down, "/healthz 502");
  expect_security_headers(static_down, "static file, worker down");
  wait_for_new_worker(old_pid);
}

BOOST_AUTO_TEST_SUITE_END()
