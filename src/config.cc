// Reading and validating settings; defaults live in config.h.
#include "resume_chat/config.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <vector>

#include "resume_chat/text.h"

namespace resume_chat {
namespace {

const char* const kRequired[] = {"ANTHROPIC_API_KEY", "DATABASE_HOST", "DATABASE_PORT",
                                 "DATABASE_NAME",     "DATABASE_USER", "DATABASE_PASSWORD"};

const char* const kSslModes[] = {"disable", "allow", "prefer", "require", "verify-ca",
                                 "verify-full"};

std::optional<int> parse_int(const std::string& text) {
  std::optional<int64_t> value = parse_decimal(text, 9);
  if (!value) return std::nullopt;
  return static_cast<int>(*value);
}

class Reader {
 public:
  explicit Reader(const EnvLookup& env) : env_(env) {}

  std::string text(const char* name, const std::string& fallback = "") {
    auto value = env_(name);
    return value && !value->empty() ? *value : fallback;
  }

  // Keeps `fallback` when unset; records an error when set but out of range.
  int number(const char* name, int fallback, int min, int max) {
    auto value = env_(name);
    if (!value || value->empty()) return fallback;
    auto parsed = parse_int(*value);
    if (!parsed || *parsed < min || *parsed > max) {
      fail(std::string(name) + " must be a whole number from " + std::to_string(min) +
           " to " + std::to_string(max) + "; fix it in the environment or .env");
      return fallback;
    }
    return *parsed;
  }

  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }
  const std::string& error() const { return error_; }

 private:
  const EnvLookup& env_;
  std::string error_;
};

std::string missing_variables(const EnvLookup& env) {
  std::string missing;
  for (const char* name : kRequired) {
    auto value = env(name);
    if (value && !value->empty()) continue;
    missing += missing.empty() ? name : std::string(", ") + name;
  }
  return missing;
}

void read_database(Reader& in, DatabaseConfig& db) {
  db.host = in.text("DATABASE_HOST");
  db.hostaddr = in.text("DATABASE_HOSTADDR");
  db.port = in.text("DATABASE_PORT");
  db.name = in.text("DATABASE_NAME");
  db.user = in.text("DATABASE_USER");
  db.password = in.text("DATABASE_PASSWORD");
  db.sslmode = in.text("DATABASE_SSLMODE");
  db.sslrootcert = in.text("DATABASE_SSLROOTCERT");
  db.pool_max = in.number("DB_POOL_MAX", db.pool_max, 1, 64);
  db.connect_timeout_s = in.number("DATABASE_CONNECT_TIMEOUT_S", db.connect_timeout_s, 2, 60);
  db.acquire_timeout_ms = in.number("DB_ACQUIRE_TIMEOUT_MS", db.acquire_timeout_ms, 1, 60000);
  db.statement_timeout_ms =
      in.number("DATABASE_STATEMENT_TIMEOUT_MS", db.statement_timeout_ms, 0, 600000);
  if (!parse_int(db.port) || *parse_int(db.port) < 1 || *parse_int(db.port) > 65535) {
    in.fail("DATABASE_PORT must be a TCP port number (1-65535); fix it in the environment or .env");
  }
  if (!db.sslmode.empty()) {
    bool known = false;
    for (const char* mode : kSslModes) known = known || db.sslmode == mode;
    if (!known) {
      in.fail("DATABASE_SSLMODE must be one of disable, allow, prefer, require, verify-ca, "
              "verify-full (DigitalOcean needs require or verify-full)");
    }
  }
}

// libfcgi's form: IP addresses separated by commas (spaces allowed here too).
std::vector<std::string> read_address_list(Reader& in, const char* name) {
  std::vector<std::string> addresses;
  std::string text = in.text(name);
  std::replace(text.begin(), text.end(), ',', ' ');
  size_t at = 0;
  while ((at = text.find_first_not_of(' ', at)) != std::string::npos) {
    size_t end = std::min(text.find(' ', at), text.size());
    std::string address = text.substr(at, end - at);
    unsigned char parsed[16];
    if (inet_pton(AF_INET, address.c_str(), parsed) != 1 &&
        inet_pton(AF_INET6, address.c_str(), parsed) != 1) {
      in.fail(std::string(name) + ": '" + address + "' is not an IP address; list the " +
              "addresses of the nginx servers that may connect, separated by commas");
    }
    addresses.push_back(std::move(address));
    at = end;
  }
  return addresses;
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

DatabaseConfigResult load_admin_database_config(const EnvLookup& env) {
  Reader in(env);
  std::string missing;
  for (const char* name : {"DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME"}) {
    if (in.text(name).empty()) missing += missing.empty() ? name : std::string(", ") + name;
  }
  const bool admin = !in.text("DB_ADMIN_USER").empty();
  if (!admin && in.text("DATABASE_USER").empty()) {
    missing += missing.empty() ? "DB_ADMIN_USER" : ", DB_ADMIN_USER";
    missing += " (or DATABASE_USER)";
  }
  if (!missing.empty()) {
    return {std::nullopt, "missing required environment variable(s): " + missing +
                              "; set them in the environment or in .env (see .env.example)"};
  }
  DatabaseConfig db;
  read_database(in, db);
  if (admin) {
    db.user = in.text("DB_ADMIN_USER");
    db.password = in.text("DB_ADMIN_PASSWORD");
  }
  db.pool_max = 1;
  db.application_name = "resume-chat-cli";
  if (!in.error().empty()) return {std::nullopt, in.error()};
  return {std::move(db), ""};
}

ConfigResult load_config(const EnvLookup& env) {
  std::string missing = missing_variables(env);
  if (!missing.empty()) {
    return {std::nullopt, "missing required environment variable(s): " + missing +
                              "; set them in the environment or in .env (see .env.example)"};
  }
  Config config;
  Reader in(env);
  config.anthropic_api_key = in.text("ANTHROPIC_API_KEY");
  config.anthropic_base_url = in.text("ANTHROPIC_BASE_URL", config.anthropic_base_url);
  while (!config.anthropic_base_url.empty() && config.anthropic_base_url.back() == '/') {
    config.anthropic_base_url.pop_back();
  }
  config.anthropic_ca_file = in.text("ANTHROPIC_CA_FILE");
  if (!config.anthropic_ca_file.empty() && access(config.anthropic_ca_file.c_str(), R_OK) != 0) {
    in.fail("ANTHROPIC_CA_FILE " + config.anthropic_ca_file +
            " cannot be read: give the path of a PEM file of CA certificates");
  }
  config.claude_model = in.text("CLAUDE_MODEL", config.claude_model);
  config.claude_max_tokens = in.number("CLAUDE_MAX_TOKENS", config.claude_max_tokens, 1, 64000);
  config.claude_idle_timeout_s =
      in.number("CLAUDE_IDLE_TIMEOUT_S", config.claude_idle_timeout_s, 1, 3600);
  read_database(in, config.database);
  config.app_port = in.number("APP_PORT", config.app_port, 1, 65535);
  config.fcgi_socket = in.text("FCGI_SOCKET", config.fcgi_socket);
  config.fcgi_web_server_addrs = read_address_list(in, "FCGI_WEB_SERVER_ADDRS");
  config.prompt_template = in.text("PROMPT_TEMPLATE", config.prompt_template);
  config.templates_dir = in.text("TEMPLATES_DIR", config.templates_dir);
  config.session_secret = in.text("SESSION_SECRET");
  // Anyone holding one token could guess a short key offline (HMAC-SHA256 with a known
  // message), then sign tokens for every session. 32 bytes: what `openssl rand -hex 16`
  // gives at least; docs/configuration.md suggests -hex 32.
  if (!config.session_secret.empty() && config.session_secret.size() < kMinSessionSecretBytes) {
    in.fail("SESSION_SECRET is too short (" + std::to_string(config.session_secret.size()) +
            " bytes; at least " + std::to_string(kMinSessionSecretBytes) +
            "): a short key can be guessed from one session token; generate one with "
            "`openssl rand -hex 32`, or leave it unset for a random key per process");
  }
  config.threads = in.number("WORKER_THREADS", config.threads, 1, 256);
  config.stream_capacity = in.number("STREAM_CAPACITY", config.stream_capacity, 1, 100000);
  config.stream_capacity_set = !in.text("STREAM_CAPACITY").empty();
  config.max_message_chars = in.number("MAX_MESSAGE_CHARS", config.max_message_chars, 1, 100000);
  config.shutdown_grace_s = in.number("SHUTDOWN_GRACE_S", config.shutdown_grace_s, 0, 3600);
  config.stop_timeout_s = in.number("STOP_TIMEOUT_S", config.stop_timeout_s, 1, 3600);
  // Past the supervisor's limit the worker is killed with its replies unsaved.
  if (config.shutdown_grace_s + kMinStoreSeconds > config.stop_timeout_s) {
    in.fail("SHUTDOWN_GRACE_S=" + std::to_string(config.shutdown_grace_s) + " leaves " +
            std::to_string(std::max(0, config.stop_timeout_s - config.shutdown_grace_s)) +
            " s of the supervisor's STOP_TIMEOUT_S=" + std::to_string(config.stop_timeout_s) +
            " to store the replies it stops (at least " + std::to_string(kMinStoreSeconds) +
            " s are needed): lower SHUTDOWN_GRACE_S, or raise the supervisor's limit "
            "(systemd TimeoutStopSec=, docker stop --time) and STOP_TIMEOUT_S with it");
  }
  config.document_cache_ms = in.number("DOCUMENT_CACHE_MS", config.document_cache_ms, 0, 60000);
  // Up to the model's 200k context; below 1000 a session would forget its last exchange.
  config.history_max_tokens =
      in.number("HISTORY_MAX_TOKENS", config.history_max_tokens, 1000, 200000);
  config.space_id = in.text("SPACE_ID");
  config.link_secret = in.text("LINK_SECRET");
  if (!config.link_secret.empty() && config.link_secret.size() < kMinLinkSecretChars) {
    in.fail("LINK_SECRET must be at least " + std::to_string(kMinLinkSecretChars) +
            " characters: make one with `openssl rand -hex 32`");
  }
  config.daily_token_budget = in.number("DAILY_TOKEN_BUDGET", 0, 0, 999999999);
  if (!starts_with(config.anthropic_base_url, "http://") &&
      !starts_with(config.anthropic_base_url, "https://")) {
    in.fail("ANTHROPIC_BASE_URL must start with http:// or https://");
  }
  if (!in.error().empty()) return {std::nullopt, in.error()};
  return {std::move(config), ""};
}

}  // namespace resume_chat
