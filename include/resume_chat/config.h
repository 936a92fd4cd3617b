// The worker's configuration: every setting, its default, and its validation.
// Settings come from the environment (after .env has been merged into it).
#ifndef RESUME_CHAT_CONFIG_H_
#define RESUME_CHAT_CONFIG_H_

#include <cstdint>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace resume_chat {

struct DatabaseConfig {
  std::string host, hostaddr, port, name, user, password;
  std::string sslmode;      // empty: libpq's default
  std::string sslrootcert;  // empty: libpq's default
  int connect_timeout_s = 5;
  int pool_max = 3;
  int acquire_timeout_ms = 5000;
  std::string application_name = "resume-chat";  // pg_stat_activity tells worker from command
  int statement_timeout_ms = 5000;  // every statement, whatever the role's setting; 0: none
};

struct Config {
  std::string anthropic_api_key;
  std::string anthropic_base_url = "https://api.anthropic.com";
  std::string anthropic_ca_file;  // CA bundle for the API's certificate; "" = the system's
  std::string claude_model = "claude-haiku-4-5-20251001";
  int claude_max_tokens = 2048;
  int claude_idle_timeout_s = 60;
  DatabaseConfig database;
  // APP_PORT is nginx's port (scripts/lib/stack.sh, docker/entrypoint), never the worker's:
  // the worker only validates it, so a typo stops start-up with a clear error.
  int app_port = 7860;
  std::string fcgi_socket = "127.0.0.1:9000";  // unix path, or host:port; fd 0 wins if inherited
  // FCGI_WEB_SERVER_ADDRS (comma-separated IPs): the only TCP peers served; required when
  // FCGI_SOCKET is reachable from other machines (fcgi_server.h).
  std::vector<std::string> fcgi_web_server_addrs;
  std::string prompt_template = "prompts/chat_system.mustache";
  std::string templates_dir = "templates";
  std::string session_secret;  // empty: a random one per process; else ≥ kMinSessionSecretBytes
  int threads = 8;             // request threads: pages, and the work before a reply streams
  int stream_capacity = 1000;  // concurrent /chat streams (the engine's, not threads)
  bool stream_capacity_set = false;  // given in the environment (else lowered to fit if need be)
  int max_message_chars = 8000;
  int shutdown_grace_s = 20;  // on SIGTERM, how long streams in flight may still run
  // STOP_TIMEOUT_S: how long the supervisor waits after SIGTERM before it kills the worker
  // (systemd's TimeoutStopSec=, `docker stop -t`); the grace must leave kMinStoreSeconds.
  int stop_timeout_s = 30;
  int document_cache_ms = 1000;  // how long a page may reuse a document it read; 0: never
  int history_max_tokens = 32000;  // estimated tokens of past messages a request re-sends
  std::string space_id;       // SPACE_ID, set by Hugging Face Spaces: only ports 80/443/8080 out
  std::string link_secret;    // LINK_SECRET: pages need a signed invitation link; empty: they don't
  int64_t daily_token_budget = 0;  // DAILY_TOKEN_BUDGET: tokens per UTC day, all workers; 0: none
};

// What a shutdown keeps, after the grace, to store the replies it stopped and close.
constexpr int kMinStoreSeconds = 5;

// The shortest SESSION_SECRET accepted, in bytes.
constexpr size_t kMinSessionSecretBytes = 32;

// Looks a variable up; std::nullopt when unset. Tests pass a map, main passes getenv.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();

struct ConfigResult {
  std::optional<Config> config;
  std::string error;  // one line naming the variable and the fix; never a secret's value
};

// Reads and validates every setting. Required: ANTHROPIC_API_KEY and DATABASE_HOST, _PORT,
// _NAME, _USER, _PASSWORD (missing ones are listed together, in that order).
ConfigResult load_config(const EnvLookup& env);

// LINK_SECRET's shortest accepted length: a guessable key would make every link forgeable.
constexpr size_t kMinLinkSecretChars = 16;

struct DatabaseConfigResult {
  std::optional<DatabaseConfig> database;
  std::string error;  // as ConfigResult's
};

// The database settings of `resume-chat COMMAND`: DATABASE_HOST, _PORT, _NAME (and the
// TLS settings) as the worker reads them, but as the role DB_ADMIN_USER/DB_ADMIN_PASSWORD
// when DB_ADMIN_USER is set (the worker's own role may only read documents), else
// DATABASE_USER/DATABASE_PASSWORD. A missing password is left to libpq (~/.pgpass).
DatabaseConfigResult load_admin_database_config(const EnvLookup& env);

}  // namespace resume_chat

#endif  // RESUME_CHAT_CONFIG_H_
