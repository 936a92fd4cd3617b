// resume-chat worker: loads configuration, runs the seed's startup checks in order, then
// serves FastCGI until SIGTERM. Any failed check prints one line and exits non-zero
// before a single request is accepted.
#include <curl/curl.h>
#include <fcgiapp.h>

#include <chrono>
#include <memory>
#include <cstdio>
#include <string>

#include "resume_chat/app.h"
#include "resume_chat/chat_store.h"
#include "resume_chat/claude_client.h"
#include "resume_chat/claude_engine.h"
#include "resume_chat/cli.h"
#include "resume_chat/config.h"
#include "resume_chat/db_pool.h"
#include "resume_chat/dotenv.h"
#include "resume_chat/fcgi_server.h"
#include "resume_chat/file_limit.h"
#include "resume_chat/log.h"
#include "resume_chat/mustache.h"
#include "resume_chat/schema.h"

using namespace resume_chat;

namespace {

// Exit codes, one per startup check, so supervisors and tests can tell them apart.
enum ExitCode { kOk = 0, kConfig = 2, kDatabase = 3, kAnthropic = 4, kTemplate = 5, kListen = 6 };

int fail(ExitCode code, const std::string& message) {
  std::fprintf(stderr, "resume-chat: %s\n", message.c_str());
  return code;
}

std::string database_target(const DatabaseConfig& db) {
  return "PostgreSQL at " + db.host + (db.hostaddr.empty() ? "" : " (" + db.hostaddr + ")") +
         ":" + db.port + "/" + db.name + " as " + db.user;
}

// On Hugging Face Spaces (SPACE_ID set) only outbound ports 80, 443 and 8080 are open, so a
// managed cluster's 25060/25061 cannot be reached directly: say so instead of a generic hint.
std::string database_hint(const Config& config) {
  const DatabaseConfig& db = config.database;
  if (!config.space_id.empty() && db.port != "80" && db.port != "443" && db.port != "8080") {
    return "Hugging Face Spaces allow outbound connections only to ports 80, 443 and 8080, "
           "and DATABASE_PORT is " + db.port + ": connect through a TCP relay on one of those "
           "ports (see docs/deploying.md, 'Managed PostgreSQL from Hugging Face Spaces')";
  }
  return "check DATABASE_HOST/PORT/NAME/USER/PASSWORD and DATABASE_SSLMODE/SSLROOTCERT";
}

Status check_database(DbPool& pool, const Config& config) {
  Status reached = pool.open();
  if (reached.ok()) reached = test_connection(pool);
  if (reached.ok()) return reached;
  return Status::Error("cannot connect to " + database_target(config.database) + ": " +
                       reached.message() + " — " + database_hint(config));
}

std::string check_anthropic(ClaudeEngine& engine, const Config& config) {
  KeyCheck check = engine.check_api_key(std::chrono::seconds(5));
  switch (check.status) {
    case KeyStatus::kValid:
      return "";
    case KeyStatus::kInvalid:
      return "the Anthropic API rejected ANTHROPIC_API_KEY (HTTP " +
             std::to_string(check.http_status) + "): set a valid key from console.anthropic.com";
    case KeyStatus::kUnreachable:
      if (check.detail.find("certificate") != std::string::npos) {
        return "the TLS certificate of " + config.anthropic_base_url + " was not accepted (" +
               check.detail + "): set ANTHROPIC_CA_FILE to the CA that signed it (a corporate "
               "TLS proxy's, say), or unset it to use the system's CA store";
      }
      return "cannot reach the Anthropic API at " + config.anthropic_base_url + " (" +
             check.detail + "): check the network and ANTHROPIC_BASE_URL";
    case KeyStatus::kUnexpected:
      break;
  }
  return "unexpected answer from the Anthropic API at " + config.anthropic_base_url + " (" +
         check.detail + "): check ANTHROPIC_BASE_URL";
}

// Everything after the configuration, in one scope so that every libcurl handle is destroyed
// before curl_global_cleanup.
int serve(const Config& config, const StreamCapacity& capacity) {
  install_escape_policy();
  DbPool pool(config.database);
  if (Status database = check_database(pool, config); !database.ok()) {
    return fail(kDatabase, database.message());
  }
  const ClaudeConfig claude = claude_config(config);
  auto engine = std::make_unique<ClaudeEngine>(
      claude, ClaudeEngine::limits_for(claude, config.stream_capacity));
  if (Status schema = check_schema(pool); !schema.ok()) return fail(kDatabase, schema.message());
  if (Status started = engine->start(); !started.ok()) return fail(kAnthropic, started.message());
  if (auto error = check_anthropic(*engine, config); !error.empty()) return fail(kAnthropic, error);
  PromptTemplate prompt(config.prompt_template);
  if (!prompt.exists()) {
    return fail(kTemplate, "system prompt template not found at " + config.prompt_template +
                               ": restore the file or set PROMPT_TEMPLATE");
  }
  auto page = PageRenderer::load(config.templates_dir);
  if (!page) {
    return fail(kTemplate, "page template not found at " + config.templates_dir +
                               "/page.mustache: run from the project directory or set "
                               "TEMPLATES_DIR");
  }

  FCGX_Init();
  FcgiServer server;
  if (auto error = server.listen(config.fcgi_socket, config.fcgi_web_server_addrs); !error.empty()) {
    return fail(kListen, error);
  }
  App app(config, pool, std::move(*page), prompt, std::move(engine));
  LogLine("info").add("msg", "ready").add("listen", server.endpoint())
      .add("threads", config.threads).add("stream_capacity", config.stream_capacity)
      .add("open_files_limit", capacity.open_files_limit).add("model", config.claude_model).emit();
  server.serve(config.threads, [&app](FcgiExchange& exchange) { app.handle(exchange); }, nullptr);
  // No request is in progress now. Streams in flight get the grace period, then end as
  // `shutdown`; every reply is stored before the supervisor's kill (STOP_TIMEOUT_S).
  const auto kill_at = std::chrono::steady_clock::now() + std::chrono::seconds(config.stop_timeout_s);
  app.drain(std::chrono::seconds(config.shutdown_grace_s), kill_at);
  pool.close();
  log_event("info", "stopped");
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) return run_cli(argc, argv);  // `resume-chat COMMAND …` (cli.h)
  block_termination_signals();
  if (!load_dotenv_file(".env")) return fail(kConfig, "cannot read .env in the working directory");
  ConfigResult loaded = load_config(process_env());
  if (!loaded.config) return fail(kConfig, loaded.error);
  StreamCapacity capacity = fit_stream_capacity(*loaded.config, raise_open_files_limit());
  if (!capacity.error.empty()) return fail(kConfig, capacity.error);
  if (capacity.lowered) {
    LogLine("warning").add("msg", "stream capacity lowered to fit the open-files limit; raise the "
                                  "limit (LimitNOFILE=, docker --ulimit nofile=) for the default 1000")
        .add("stream_capacity", capacity.capacity).add("open_files_limit", capacity.open_files_limit)
        .emit();
  }
  loaded.config->stream_capacity = capacity.capacity;
  const Config& config = *loaded.config;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  int exit_code = serve(config, capacity);
  curl_global_cleanup();  // after every curl handle is gone (serve's scope)
  return exit_code;
}
