// Operating the worker end to end: its startup checks and exit codes, the connection pool
// against the stack's PostgreSQL, metrics, health, logs and signals.
// Needs a running scripts/test-stack (scripts/run-tests integration starts one).
#define BOOST_TEST_MODULE integration_operations
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
#include "support/integration.h"
#include "support/fcgi_client.h"
#include "support/http.h"
#include "support/stack.h"

using namespace test_support;

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

// A grace that leaves the supervisor's kill less than 5 s to store the replies it stops.
BOOST_AUTO_TEST_CASE(a_grace_the_supervisor_would_cut_short_exits_2) {
  auto e = worker_env();
  e["SHUTDOWN_GRACE_S"] = "8";
  e["STOP_TIMEOUT_S"] = "10";
  expect_failure(start_worker(e), 2,
                 "SHUTDOWN_GRACE_S=8 leaves 2 s of the supervisor's STOP_TIMEOUT_S=10");
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
  BOOST_REQUIRE(history.ok());
  BOOST_REQUIRE(history->size() == 2u);
  BOOST_TEST(history.value()[0].contents == "it's a 'quote'; DROP");
  BOOST_TEST(history.value()[1].message_type == "assistant");
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
