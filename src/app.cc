// Routing, the page route, and the never-throw guarantee. The chat route is chat_route.cc.
#include "resume_chat/app.h"

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
      page_(std::move(page)),
      prompt_(prompt),
      signer_(effective_secret(config_)) {}

void App::handle(Exchange& exchange) {
  try {
    const std::string& path = exchange.path();
    if (path == "/") {
      handle_page(exchange);
    } else if (path == "/chat") {
      handle_chat(exchange);
    } else if (path == "/healthz") {
      handle_health(exchange);
    } else {
      send_plain(exchange, 404, "Not found");
    }
  } catch (const std::exception& e) {
    LogLine("error").add("msg", "request failed").add("path", exchange.path())
        .add("error", e.what()).emit();
    if (!exchange.head_written()) send_plain(exchange, 500, "Internal error");
  }
}

void App::send_plain(Exchange& exchange, int status, const std::string& text,
                     const Headers& extra) {
  Headers headers{{"Content-Type", "text/plain; charset=utf-8"}, {"Cache-Control", "no-store"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  exchange.write_head(status, headers);
  if (exchange.method() != "HEAD") exchange.write(text + "\n");
}

void App::send_page(Exchange& exchange, int status, const PageModel& model) {
  std::string html = page_.render(model);
  exchange.write_head(status, {{"Content-Type", "text/html; charset=utf-8"},
                               {"Cache-Control", "no-store"}});
  if (exchange.method() != "HEAD") exchange.write(html);
}

void App::handle_page(Exchange& exchange) {
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
  DocumentLookup lookup = get_document_by_name(pool_, *q);
  if (lookup.status == Lookup::kDatabaseError) {
    LogLine("error").add("msg", "document lookup failed").add("error", lookup.error).emit();
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
    model.error = error_template_missing(prompt_.path());
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

// For load balancers and supervisors: up, and the database answers.
void App::handle_health(Exchange& exchange) {
  std::string error = test_connection(pool_);
  if (!error.empty()) LogLine("warning").add("msg", "health check failed").add("error", error).emit();
  exchange.write_head(error.empty() ? 200 : 503, {{"Content-Type", "application/json"},
                                                  {"Cache-Control", "no-store"}});
  if (exchange.method() == "HEAD") return;
  exchange.write(error.empty() ? "{\"status\":\"ok\",\"database\":\"ok\"}\n"
                               : "{\"status\":\"unavailable\",\"database\":\"unreachable\"}\n");
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
