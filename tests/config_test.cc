// Configuration: required variables, defaults, validation messages without secrets.
#define BOOST_TEST_MODULE config
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <map>

#include "resume_chat/config.h"

using namespace resume_chat;

namespace {
std::map<std::string, std::string> complete() {
  return {{"ANTHROPIC_API_KEY", "sk-secret-key"}, {"DATABASE_HOST", "db"},
          {"DATABASE_PORT", "5432"},              {"DATABASE_NAME", "chat"},
          {"DATABASE_USER", "app"},               {"DATABASE_PASSWORD", "pw-secret"}};
}
EnvLookup lookup(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

BOOST_AUTO_TEST_CASE(defaults_apply) {
  auto result = load_config(lookup(complete()));
  BOOST_REQUIRE(result.config);
  const Config& c = *result.config;
  BOOST_TEST(c.anthropic_base_url == "https://api.anthropic.com");
  BOOST_TEST(c.claude_model == "claude-haiku-4-5-20251001");
  BOOST_TEST(c.claude_max_tokens == 2048);
  BOOST_TEST(c.database.pool_max == 3);
  BOOST_TEST(c.app_port == 7860);
  BOOST_TEST(c.prompt_template == "prompts/chat_system.mustache");
  BOOST_TEST(c.max_message_chars == 8000);
  BOOST_TEST(c.threads == 8);
  BOOST_TEST(c.stream_capacity == 1000);
  BOOST_TEST(c.anthropic_ca_file.empty());
  BOOST_TEST(c.document_cache_ms == 1000);
  BOOST_TEST(c.history_max_tokens == 32000);
  BOOST_TEST(c.database.statement_timeout_ms == 5000);
}

BOOST_AUTO_TEST_CASE(document_cache_can_be_turned_off_and_is_bounded) {
  auto vars = complete();
  vars["DOCUMENT_CACHE_MS"] = "0";
  auto off = load_config(lookup(vars));
  BOOST_REQUIRE(off.config);
  BOOST_TEST(off.config->document_cache_ms == 0);
  for (const char* bad : {"-1", "60001", "1s"}) {
    vars["DOCUMENT_CACHE_MS"] = bad;
    BOOST_TEST(load_config(lookup(vars)).error.find("DOCUMENT_CACHE_MS") != std::string::npos, bad);
  }
}

// Streams hold no thread: the capacity is its own setting, whatever the thread count.
BOOST_AUTO_TEST_CASE(stream_capacity_is_independent_of_threads_and_bounded) {
  auto vars = complete();
  vars["WORKER_THREADS"] = "3";
  vars["STREAM_CAPACITY"] = "5000";
  auto loaded = load_config(lookup(vars));
  BOOST_REQUIRE(loaded.config);
  BOOST_TEST(loaded.config->stream_capacity == 5000);
  for (const char* bad : {"0", "100001", "lots"}) {
    vars["STREAM_CAPACITY"] = bad;
    BOOST_TEST(load_config(lookup(vars)).error.find("STREAM_CAPACITY") != std::string::npos, bad);
  }
}

BOOST_AUTO_TEST_CASE(the_api_ca_file_must_be_readable) {
  auto vars = complete();
  vars["ANTHROPIC_CA_FILE"] = "/etc/ssl/certs/ca-certificates.crt";
  auto loaded = load_config(lookup(vars));
  BOOST_REQUIRE(loaded.config);
  BOOST_TEST(loaded.config->anthropic_ca_file == "/etc/ssl/certs/ca-certificates.crt");
  vars["ANTHROPIC_CA_FILE"] = "/nonexistent/ca.pem";
  BOOST_TEST(load_config(lookup(vars)).error.find("ANTHROPIC_CA_FILE /nonexistent/ca.pem cannot be read") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_variables_are_listed_in_order) {
  auto vars = complete();
  vars.erase("DATABASE_PASSWORD");
  vars["ANTHROPIC_API_KEY"] = "";
  auto result = load_config(lookup(vars));
  BOOST_TEST(!result.config);
  BOOST_TEST(result.error.find("ANTHROPIC_API_KEY, DATABASE_PASSWORD") != std::string::npos);
  BOOST_TEST(result.error.find(".env") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(overrides_are_read) {
  auto vars = complete();
  vars["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:1234/";
  vars["CLAUDE_MODEL"] = "claude-haiku-4-5";
  vars["DB_POOL_MAX"] = "5";
  vars["FCGI_SOCKET"] = "/run/rc.sock";
  vars["DATABASE_SSLMODE"] = "verify-full";
  vars["SPACE_ID"] = "me/resume-chat";
  auto result = load_config(lookup(vars));
  BOOST_REQUIRE(result.config);
  BOOST_TEST(result.config->anthropic_base_url == "http://127.0.0.1:1234");
  BOOST_TEST(result.config->database.pool_max == 5);
  BOOST_TEST(result.config->fcgi_socket == "/run/rc.sock");
  BOOST_TEST(result.config->database.sslmode == "verify-full");
  BOOST_TEST(result.config->space_id == "me/resume-chat");
}

BOOST_AUTO_TEST_CASE(bad_values_are_named_without_secrets) {
  for (auto [name, value] : std::map<std::string, std::string>{
           {"DATABASE_PORT", "54x"}, {"DB_POOL_MAX", "0"}, {"DATABASE_SSLMODE", "maybe"},
           {"CLAUDE_MAX_TOKENS", "99999999"}, {"ANTHROPIC_BASE_URL", "ftp://x"},
           {"HISTORY_MAX_TOKENS", "999"}, {"DATABASE_STATEMENT_TIMEOUT_MS", "600001"}}) {
    auto vars = complete();
    vars[name] = value;
    auto result = load_config(lookup(vars));
    BOOST_TEST(!result.config, name);
    BOOST_TEST(result.error.find(name) != std::string::npos, result.error);
    BOOST_TEST(result.error.find("secret") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(link_secret_and_daily_budget) {
  auto vars = complete();
  auto plain = load_config(lookup(vars));
  BOOST_TEST(plain.config->link_secret.empty());
  BOOST_TEST(plain.config->daily_token_budget == 0);
  vars["LINK_SECRET"] = "0123456789abcdef";
  vars["DAILY_TOKEN_BUDGET"] = "250000";
  auto set = load_config(lookup(vars));
  BOOST_REQUIRE(set.config);
  BOOST_TEST(set.config->link_secret == "0123456789abcdef");
  BOOST_TEST(set.config->daily_token_budget == 250000);
  vars["LINK_SECRET"] = "too-short-value";
  auto short_secret = load_config(lookup(vars));
  BOOST_TEST(!short_secret.config);
  BOOST_TEST(short_secret.error.find("LINK_SECRET must be at least 16") != std::string::npos);
  BOOST_TEST(short_secret.error.find("too-short-value") == std::string::npos);
  vars["LINK_SECRET"] = "";
  for (const char* bad : {"-1", "1e6", "1000000000"}) {
    vars["DAILY_TOKEN_BUDGET"] = bad;
    BOOST_TEST(load_config(lookup(vars)).error.find("DAILY_TOKEN_BUDGET") != std::string::npos, bad);
  }
}

BOOST_AUTO_TEST_CASE(commands_connect_as_the_admin_role_when_set) {
  auto vars = complete();
  vars.erase("ANTHROPIC_API_KEY");  // the commands never call the API
  auto app = load_admin_database_config(lookup(vars));
  BOOST_REQUIRE(app.database);
  BOOST_TEST(app.database->user == "app");
  BOOST_TEST(app.database->password == "pw-secret");
  BOOST_TEST(app.database->application_name == "resume-chat-cli");
  vars["DB_ADMIN_USER"] = "owner";
  vars["DB_ADMIN_PASSWORD"] = "owner-pw";
  auto admin = load_admin_database_config(lookup(vars));
  BOOST_REQUIRE(admin.database);
  BOOST_TEST(admin.database->user == "owner");
  BOOST_TEST(admin.database->password == "owner-pw");
  BOOST_TEST(admin.database->host == "db");
  vars.erase("DATABASE_USER");
  BOOST_TEST(load_admin_database_config(lookup(vars)).database.has_value());  // the admin role suffices
  vars.erase("DB_ADMIN_USER");
  vars.erase("DATABASE_NAME");
  auto missing = load_admin_database_config(lookup(vars));
  BOOST_TEST(!missing.database.has_value());
  BOOST_TEST(missing.error.find("DATABASE_NAME, DB_ADMIN_USER (or DATABASE_USER)") != std::string::npos);
}

// One token is HMAC-SHA256(secret, known text): a short secret can be searched offline.
BOOST_AUTO_TEST_CASE(a_short_session_secret_is_refused_without_showing_it) {
  auto vars = complete();
  vars["SESSION_SECRET"] = "short-secret-value-31-bytes-xxx";  // 31 bytes
  auto result = load_config(lookup(vars));
  BOOST_TEST(!result.config);
  BOOST_TEST(result.error.find("SESSION_SECRET is too short (31 bytes; at least 32)") == 0u,
             result.error);
  BOOST_TEST(result.error.find("openssl rand -hex 32") != std::string::npos);
  BOOST_TEST(result.error.find("short-secret-value") == std::string::npos);
  vars["SESSION_SECRET"] = std::string(32, 'k');
  BOOST_REQUIRE(load_config(lookup(vars)).config);
  BOOST_TEST(load_config(lookup(vars)).config->session_secret == std::string(32, 'k'));
  vars.erase("SESSION_SECRET");  // unset: a random key per process (App warns)
  BOOST_TEST(load_config(lookup(vars)).config->session_secret.empty());
}

BOOST_AUTO_TEST_CASE(history_budget_is_read_and_bounded) {
  auto vars = complete();
  vars["HISTORY_MAX_TOKENS"] = "8000";
  BOOST_TEST(load_config(lookup(vars)).config->history_max_tokens == 8000);
  for (const char* bad : {"999", "200001", "32k"}) {
    vars["HISTORY_MAX_TOKENS"] = bad;
    BOOST_TEST(load_config(lookup(vars)).error.find("HISTORY_MAX_TOKENS must be a whole number "
                                                    "from 1000 to 200000") == 0u, bad);
  }
}

// A grace that leaves the supervisor's kill less than 5 s after it would lose the replies it
// stops: refused, saying what to change.
BOOST_AUTO_TEST_CASE(the_grace_must_leave_time_to_store_before_the_supervisors_kill) {
  auto ok = load_config(lookup(complete()));
  BOOST_REQUIRE(ok.config);
  BOOST_TEST(ok.config->shutdown_grace_s == 20);
  BOOST_TEST(ok.config->stop_timeout_s == 30);  // the unit's TimeoutStopSec
  auto vars = complete();
  vars["SHUTDOWN_GRACE_S"] = "8";
  vars["STOP_TIMEOUT_S"] = "10";  // the image's 8 s with Docker's default 10 s: too tight
  auto refused = load_config(lookup(vars));
  BOOST_TEST(!refused.config);
  BOOST_TEST(refused.error.find("SHUTDOWN_GRACE_S=8 leaves 2 s of the supervisor's "
                                "STOP_TIMEOUT_S=10") != std::string::npos, refused.error);
  BOOST_TEST(refused.error.find("TimeoutStopSec") != std::string::npos);
  vars["SHUTDOWN_GRACE_S"] = "5";
  BOOST_TEST(load_config(lookup(vars)).config.has_value());
}

BOOST_AUTO_TEST_CASE(web_server_addresses_are_a_list_of_ips) {
  auto vars = complete();
  vars["FCGI_WEB_SERVER_ADDRS"] = "10.0.0.5, 10.0.0.6,fd00::7";
  auto result = load_config(lookup(vars));
  BOOST_REQUIRE(result.config);
  BOOST_TEST((result.config->fcgi_web_server_addrs ==
              std::vector<std::string>{"10.0.0.5", "10.0.0.6", "fd00::7"}));
  vars["FCGI_WEB_SERVER_ADDRS"] = "10.0.0.5,nginx.internal";
  result = load_config(lookup(vars));
  BOOST_TEST(!result.config);
  BOOST_TEST(result.error.find("FCGI_WEB_SERVER_ADDRS: 'nginx.internal'") != std::string::npos);
  BOOST_TEST(load_config(lookup(complete())).config->fcgi_web_server_addrs.empty());
}
