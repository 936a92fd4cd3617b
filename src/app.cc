// Routing, the page route, and the never-throw guarantee. The chat route and the end of a
// stream are chat_route.cc.
#include "resume_chat/app.h"

#include <chrono>
#include <ctime>
#include <thread>

#include "resume_chat/chat_store.h"
#include "resume_chat/log.h"
#include "resume_chat/url.h"
#include "resume_chat/user_texts.h"

namespace resume_chat {
namespace {

constexpr size_t kMaxDisplayedNameChars = 300;
// What drain() keeps of the supervisor's time, to give the last replies back and exit.
constexpr std::chrono::seconds kExitMargin{1};

std::string effective_secret(const Config& config) {
  if (!config.session_secret.empty()) return config.session_secret;
  log_event("warning",
            "SESSION_SECRET is not set: using a random secret for this process, so open pages "
            "stop working when the worker restarts and several workers cannot share sessions");
  return random_secret();
}

}  // namespace

ClaudeConfig claude_config(const Config& config) {
  ClaudeConfig claude;
  claude.base_url = config.anthropic_base_url;
  claude.api_key = config.anthropic_api_key;
  claude.model = config.claude_model;
  claude.ca_file = config.anthropic_ca_file;
  claude.max_tokens = config.claude_max_tokens;
  claude.idle_timeout_s = config.claude_idle_timeout_s;
  return claude;
}

App::App(Config config, DbPool& pool, PageRenderer page, PromptTemplate& prompt,
         std::unique_ptr<ClaudeEngine> engine)
    : config_(std::move(config)),
      pool_(pool),
      documents_(std::chrono::milliseconds(config_.document_cache_ms)),
      page_(std::move(page)),
      prompt_(prompt),
      signer_(effective_secret(config_)),
      links_(config_.link_secret),
      budget_(pool, config_.daily_token_budget),
      streams_(config_.stream_capacity),
      writer_(pool),
      engine_(std::move(engine)) {
  EngineHooks hooks;
  hooks.ended = [this](ReplyStream& stream) { on_reply_ended(stream); };
  hooks.closed = [this](std::unique_ptr<ReplyStream> stream) { on_stream_closed(std::move(stream)); };
  engine_->set_hooks(std::move(hooks));
}

// The engine's thread calls into the writer and the metrics: it stops first. The writer then
// stores what it holds (its callbacks only post to the stopped engine).
App::~App() {
  engine_->stop();
  writer_.stop(std::chrono::steady_clock::now());
}

// Every request ends with one JSON log line and one count in /metrics, whatever happened;
// a stream's come when it ends (finish_stream).
void App::handle(FcgiExchange& exchange) {
  const std::string_view route = route_label(exchange.path());
  LogLine log("info");
  log.add("route", route).add("method", exchange.method()).add("request_id", exchange.request_id());
  if (route == "other") log.add("path", exchange.path());
  try {
    if (route == "/") {
      handle_page(exchange, log);
    } else if (route == "/chat") {
      if (handle_chat(exchange, log)) return;
    } else if (route == "/healthz") {
      handle_health(exchange, log);
    } else if (route == "/metrics") {
      handle_metrics(exchange);
    } else {
      send_plain(exchange, 404, "Not found");
    }
  } catch (const std::exception& e) {
    log.set_level("error").add("error", e.what());
    if (!exchange.head_written()) send_plain(exchange, 500, "Internal error");
  } catch (...) {
    log.set_level("error").add("error", "unknown exception");
    if (!exchange.head_written()) send_plain(exchange, 500, "Internal error");
  }
  if (exchange.status() >= 500) log.set_level("error");
  log.add("status", exchange.status()).add("duration_us", exchange.elapsed_us()).emit();
  metrics_.count_request(route, exchange.status());
}

// After SIGTERM the request threads have stopped: only the engine's streams are left.
void App::drain(std::chrono::seconds grace, std::chrono::steady_clock::time_point kill_at) {
  using Clock = std::chrono::steady_clock;
  auto wait_for_streams = [this](Clock::time_point until) {
    while (engine_->active() > 0 && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  wait_for_streams(std::min(Clock::now() + grace, kill_at));
  if (engine_->active() > 0) {
    LogLine("warning").add("msg", "grace period over: stopping the streams in flight")
        .add("streams", engine_->active()).emit();
    engine_->cancel_all(CancelReason::kShutdown);
  }
  // Their replies are stored as they end, together; then each stream's last event.
  wait_for_streams(kill_at - kExitMargin);
  writer_.stop(kill_at - kExitMargin);  // what the database could not take by then is lost
  wait_for_streams(kill_at);
  LogLine(engine_->active() > 0 ? "error" : "info").add("msg", "drained")
      .add("streams_left", engine_->active()).add("replies_stored", writer_.stats().stored)
      .add("replies_not_stored", writer_.stats().refused).emit();
  engine_->stop();
}

void App::send_plain(FcgiExchange& exchange, int status, const std::string& text,
                     const Headers& extra) {
  Headers headers{{"Content-Type", "text/plain; charset=utf-8"}, {"Cache-Control", "no-store"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  exchange.respond(status, std::move(headers), text + "\n");
}

void App::send_page(FcgiExchange& exchange, int status, const PageModel& model) {
  exchange.respond(status, {{"Content-Type", "text/html; charset=utf-8"}, {"Cache-Control", "no-store"}},
                   page_.render(model));
}

void App::handle_page(FcgiExchange& exchange, LogLine& log) {
  if (exchange.method() != "GET" && exchange.method() != "HEAD") {
    send_plain(exchange, 405, "Method not allowed: use GET", {{"Allow", "GET, HEAD"}});
    return;
  }
  PageModel model;
  model.max_message_chars = config_.max_message_chars;
  auto q = query_param(exchange.query(), "q");
  // A link pasted with a space around the name ("?q=demo%20") still finds its document (and
  // a signed one still verifies: names are signed and stored without surrounding spaces).
  std::string name = q ? *q : std::string();
  name.erase(0, name.find_first_not_of(" \t\r\n"));
  name.erase(name.find_last_not_of(" \t\r\n") + 1);
  if (!q || name.empty()) {
    model.error = kErrorMissingQ;
    // 200: a bare "/" is the site's front page, and hosts probe it (Hugging Face Spaces
    // keeps a Space "Starting" until HEAD / succeeds). The page still shows the error.
    send_page(exchange, 200, model);
    return;
  }
  const LinkVerdict link = links_.check(exchange.query(), name, std::time(nullptr));  // invite_link.h
  if (!link.admitted) {
    log.add("link", link.reason);
    model.error = link.message;
    send_page(exchange, link.status, model);
    return;
  }
  DocumentLookup lookup = find_document(name);
  if (lookup.status == Lookup::kDatabaseError) {
    log.add("db_error", lookup.error);
    model.error = kErrorDatabase;
    send_page(exchange, 503, model);
    return;
  }
  if (lookup.status == Lookup::kNotFound) {
    model.error = error_not_found(display_text(name, kMaxDisplayedNameChars));
    send_page(exchange, 404, model);
    return;
  }
  if (!prompt_.exists()) {
    model.error = error_template_missing(prompt_.public_path());
    log.add("error", "prompt template missing").add("prompt_template", prompt_.path());
    model.document_name = lookup.document.name;
    send_page(exchange, 503, model);
    return;
  }
  model.ready = true;
  model.document_name = lookup.document.name;
  model.resume = std::move(lookup.document.resume);
  model.jd = std::move(lookup.document.jd);
  model.session_token = signer_.sign({new_uuid4(), lookup.document.name,
                                      static_cast<int64_t>(std::time(nullptr)), link.expires});
  send_page(exchange, 200, model);
}

DocumentLookup App::find_document(const std::string& name) {
  auto cached = documents_.find(name);
  metrics_.count_document_lookup(cached != nullptr);
  if (cached) return {Lookup::kFound, *cached, ""};
  DocumentLookup lookup = get_document_by_name(pool_, name);
  if (lookup.status == Lookup::kFound) documents_.store(lookup.document);
  return lookup;
}

// For load balancers and supervisors: up, and the database answers.
void App::handle_health(FcgiExchange& exchange, LogLine& log) {
  const Status database = test_connection(pool_);
  if (!database.ok()) log.add("db_error", database.message());
  exchange.respond(database.ok() ? 200 : 503,
                   {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}},
                   database.ok() ? "{\"status\":\"ok\",\"database\":\"ok\"}\n"
                                 : "{\"status\":\"unavailable\",\"database\":\"unreachable\"}\n");
}

// Prometheus scrapes this; nginx serves it to local addresses only (locations.conf.in).
void App::handle_metrics(FcgiExchange& exchange) {
  MetricsGauges gauges;
  gauges.streams_in_flight = streams_.in_flight();
  gauges.stream_capacity = streams_.capacity();
  gauges.upstream_connections_opened = engine_->stats().connections_opened;
  gauges.pool_max = config_.database.pool_max;
  gauges.pool = pool_.stats();
  gauges.daily_token_budget = budget_.budget();
  if (auto usage = budget_.today()) gauges.daily_tokens_used = usage->used;
  exchange.respond(200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"},
                         {"Cache-Control", "no-store"}},
                   metrics_.render(gauges));
}

}  // namespace resume_chat
