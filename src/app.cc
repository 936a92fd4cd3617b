// Routing, the page route, and the never-throw guarantee. The chat route is chat_route.cc.
#include "resume_chat/app.h"

#include <chrono>
#include <ctime>

#include "resume_chat/chat_store.h"
#include "resume_chat/log.h"
#include "resume_chat/messages.h"
#include "resume_chat/url.h"

namespace resume_chat {
namespace {

constexpr size_t kMaxDisplayedNameChars = 300;

std::string effective_secret(const Config& config) {
  if (!config.session_secret.empty()) return config.session_secret;
  log_event("warning",
            "SESSION_SECRET is not set: using a random secret for this process, so open pages "
            "stop working when the worker restarts and several workers cannot share sessions");
  return random_secret();
}

}  // namespace

App::App(Config config, DbPool& pool, PageRenderer page, PromptTemplate& prompt)
    : config_(std::move(config)),
      pool_(pool),
      documents_(std::chrono::milliseconds(config_.document_cache_ms)),
      page_(std::move(page)),
      prompt_(prompt),
      signer_(effective_secret(config_)) {}

// Every request ends with one JSON log line and one count in /metrics, whatever happened.
void App::handle(Exchange& exchange) {
  const std::string_view route = route_label(exchange.path());
  LogLine log("info");
  log.add("route", route).add("method", exchange.method()).add("request_id", exchange.request_id());
  if (route == "other") log.add("path", exchange.path());
  try {
    if (route == "/") {
      handle_page(exchange, log);
    } else if (route == "/chat") {
      handle_chat(exchange, log);
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
  }
  if (exchange.status() >= 500) log.set_level("error");
  log.add("status", exchange.status()).add("duration_us", exchange.elapsed_us()).emit();
  metrics_.count_request(route, exchange.status());
}

void App::send_plain(Exchange& exchange, int status, const std::string& text,
                     const Headers& extra) {
  Headers headers{{"Content-Type", "text/plain; charset=utf-8"}, {"Cache-Control", "no-store"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  exchange.respond(status, std::move(headers), text + "\n");
}

void App::send_page(Exchange& exchange, int status, const PageModel& model) {
  exchange.respond(status, {{"Content-Type", "text/html; charset=utf-8"}, {"Cache-Control", "no-store"}},
                   page_.render(model));
}

void App::handle_page(Exchange& exchange, LogLine& log) {
  if (exchange.method() != "GET" && exchange.method() != "HEAD") {
    send_plain(exchange, 405, "Method not allowed: use GET", {{"Allow", "GET, HEAD"}});
    return;
  }
  PageModel model;
  model.max_message_chars = config_.max_message_chars;
  auto q = query_param(exchange.query(), "q");
  if (!q || q->empty()) {
    model.error = kErrorMissingQ;
    // 200: a bare "/" is the site's front page, and hosts probe it (Hugging Face Spaces
    // keeps a Space "Starting" until HEAD / succeeds). The page still shows the error.
    send_page(exchange, 200, model);
    return;
  }
  DocumentLookup lookup = find_document(*q);
  if (lookup.status == Lookup::kDatabaseError) {
    log.add("db_error", lookup.error);
    model.error = kErrorDatabase;
    send_page(exchange, 503, model);
    return;
  }
  if (lookup.status == Lookup::kNotFound) {
    model.error = error_not_found(display_text(*q, kMaxDisplayedNameChars));
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
  model.session_token =
      signer_.sign({new_uuid4(), lookup.document.name, static_cast<int64_t>(std::time(nullptr))});
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
void App::handle_health(Exchange& exchange, LogLine& log) {
  std::string error = test_connection(pool_);
  if (!error.empty()) log.add("db_error", error);
  exchange.respond(error.empty() ? 200 : 503,
                   {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}},
                   error.empty() ? "{\"status\":\"ok\",\"database\":\"ok\"}\n"
                                 : "{\"status\":\"unavailable\",\"database\":\"unreachable\"}\n");
}

// Prometheus scrapes this; nginx serves it to local addresses only (locations.conf.in).
void App::handle_metrics(Exchange& exchange) {
  MetricsGauges gauges;
  gauges.streams_in_flight = active_streams_.load();
  gauges.stream_capacity = config_.stream_capacity;
  gauges.pool_max = config_.database.pool_max;
  gauges.pool = pool_.stats();
  exchange.respond(200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"},
                         {"Cache-Control", "no-store"}},
                   metrics_.render(gauges));
}

bool App::claim_session(const std::string& uuid) {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  return streaming_sessions_.insert(uuid).second;
}

void App::release_session(const std::string& uuid) {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  streaming_sessions_.erase(uuid);
}

}  // namespace resume_chat
