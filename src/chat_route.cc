// POST /chat: verify → document → save user message → history → prompt → stream from
// Claude, forwarding each token at once → save the reply → done. No database connection
// is held while the reply streams. Response events: token, done, error (see README).
#include <chrono>
#include <ctime>
#include <optional>

#include "resume_chat/app.h"
#include "resume_chat/chat_request.h"
#include "resume_chat/chat_store.h"
#include "resume_chat/claude_client.h"
#include "resume_chat/history.h"
#include "resume_chat/log.h"
#include "resume_chat/messages.h"

namespace resume_chat {
namespace {

const char* const kEventStreamType = "text/event-stream; charset=utf-8";
constexpr std::chrono::seconds kHeartbeatInterval{5};

std::string event_text(const char* name, const std::string& json) {
  return std::string("event: ") + name + "\ndata: " + json + "\n\n";
}

bool write_event(Exchange& exchange, const char* name, const std::string& json) {
  return exchange.write(event_text(name, json)) && exchange.flush();
}

std::string message_json(const std::string& text) {
  return "{\"message\":\"" + json_escape(text) + "\"}";
}

// A refusal before streaming: the status plus the same `error` event the stream would send.
void refuse(Exchange& exchange, int status, const std::string& text, const Headers& extra = {}) {
  Headers headers{{"Content-Type", kEventStreamType}, {"Cache-Control", "no-store, no-transform"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  exchange.respond(status, std::move(headers), event_text("error", message_json(text)));
}

std::string reply_error_text(const Reply& reply, bool stopping) {
  switch (reply.status) {
    case ReplyStatus::kComplete:
      return "";
    case ReplyStatus::kUnreachable:
      return kErrorClaudeApi;
    case ReplyStatus::kTimedOut:
      return "Error: Claude stopped responding. Please try again.";
    case ReplyStatus::kCancelled:
      return stopping ? "Error: The server is restarting. Please send your message again."
                      : "Error: The reply was stopped.";
    case ReplyStatus::kIncomplete:
      return "Error: The reply was interrupted. Please try again.";
    case ReplyStatus::kApiError:
      break;
  }
  if (reply.http_status == 401 || reply.http_status == 403) return kErrorClaudeApi;
  if (reply.http_status == 429 || reply.error_type == "rate_limit_error") {
    return "Error: Claude is receiving too many requests. Please try again in a moment.";
  }
  if (reply.http_status == 529 || reply.error_type == "overloaded_error") {
    return "Error: Claude is overloaded right now. Please try again in a moment.";
  }
  return "Error: Claude could not answer (" +
         (reply.error_type.empty() ? std::string("unknown error") : reply.error_type) +
         "). Please try again.";
}

const char* reply_status_name(ReplyStatus status) {
  switch (status) {
    case ReplyStatus::kComplete: return "complete";
    case ReplyStatus::kIncomplete: return "incomplete";
    case ReplyStatus::kApiError: return "api_error";
    case ReplyStatus::kUnreachable: return "unreachable";
    case ReplyStatus::kTimedOut: return "timed_out";
    case ReplyStatus::kCancelled: return "cancelled";
  }
  return "unknown";
}

// The metrics' view of a reply. A reply the user stopped (or a shutdown) is no upstream error.
StreamOutcome stream_outcome(const Reply& reply, long long first_token_us, long long duration_us) {
  StreamOutcome out;
  out.outcome = reply_status_name(reply.status);
  switch (reply.status) {
    case ReplyStatus::kComplete:
    case ReplyStatus::kCancelled:
      break;
    case ReplyStatus::kApiError:
      out.upstream_error = !reply.error_type.empty() ? reply.error_type
                                                     : "http_" + std::to_string(reply.http_status);
      break;
    default:
      out.upstream_error = out.outcome;
  }
  out.first_token_us = first_token_us;
  out.duration_us = duration_us;
  out.input_tokens = reply.usage.input_tokens;
  out.output_tokens = reply.usage.output_tokens;
  out.cache_read_tokens = reply.usage.cache_read_input_tokens;
  out.cache_creation_tokens = reply.usage.cache_creation_input_tokens;
  out.retries = reply.retries;
  return out;
}

ClaudeClient& thread_client(const Config& config) {
  thread_local std::optional<ClaudeClient> client;
  if (!client) {
    ClaudeConfig claude;
    claude.base_url = config.anthropic_base_url;
    claude.api_key = config.anthropic_api_key;
    claude.model = config.claude_model;
    claude.max_tokens = config.claude_max_tokens;
    claude.idle_timeout_s = config.claude_idle_timeout_s;
    client.emplace(std::move(claude));
  }
  return *client;
}

class SessionClaim {
 public:
  SessionClaim(std::function<void()> release) : release_(std::move(release)) {}
  ~SessionClaim() { release_(); }
  SessionClaim(const SessionClaim&) = delete;
  SessionClaim& operator=(const SessionClaim&) = delete;

 private:
  std::function<void()> release_;
};

}  // namespace

void App::handle_chat(Exchange& exchange, LogLine& log) {
  if (exchange.method() != "POST") {
    refuse(exchange, 405, "Error: Use POST to send a chat message.", {{"Allow", "POST"}});
    return;
  }
  std::string body;
  // Worst case: every character of the longest message escaped as \uXXXX, plus a token.
  const size_t body_limit = static_cast<size_t>(config_.max_message_chars) * 12 + 4096;
  BodyStatus read = exchange.read_body(body_limit, body);
  if (read == BodyStatus::kTooLarge) {
    refuse(exchange, 413, "Error: The message is too long.");
    return;
  }
  if (read != BodyStatus::kOk) {
    refuse(exchange, 400, "Error: The request body was incomplete.");
    return;
  }
  ChatRequestParse parsed =
      parse_chat_request(exchange.param("CONTENT_TYPE"), body, config_.max_message_chars);
  if (!parsed.request) {
    refuse(exchange, parsed.status, parsed.error);
    return;
  }
  auto verified = signer_.verify(parsed.request->session_token, std::time(nullptr));
  if (verified.verdict != SessionSigner::Verdict::kValid) {
    refuse(exchange, 403,
           verified.verdict == SessionSigner::Verdict::kExpired
               ? "Error: This chat session has expired. Reload the page to start a new one."
               : "Error: This chat session is not valid. Reload the page to start a new one.");
    return;
  }
  const Session& session = verified.session;
  log.add("session", session.uuid);
  if (!claim_session(session.uuid)) {
    refuse(exchange, 409, "Error: A reply is still streaming in this chat. Wait or stop it.");
    return;
  }
  SessionClaim claim([this, &session] { release_session(session.uuid); });
  // Past capacity, say so at once rather than queue: a queued stream would also take the
  // threads that page loads need.
  if (active_streams_.fetch_add(1) >= config_.stream_capacity) {
    active_streams_.fetch_sub(1);
    refuse(exchange, 503, "Error: The chat is busy right now. Please try again in a moment.",
           {{"Retry-After", "5"}});
    return;
  }
  SessionClaim stream_slot([this] { active_streams_.fetch_sub(1); });
  stream_reply(exchange, session, parsed.request->message, log);
}

void App::stream_reply(Exchange& exchange, const Session& session, const std::string& message,
                       LogLine& log) {
  DocumentLookup lookup = get_document_by_name(pool_, session.document_name);
  if (lookup.status != Lookup::kFound) {
    bool db_error = lookup.status == Lookup::kDatabaseError;
    if (db_error) log.add("db_error", lookup.error);
    refuse(exchange, db_error ? 503 : 404,
           db_error ? kErrorDatabase : error_not_found(session.document_name));
    return;
  }
  if (!prompt_.exists()) {  // cached, but a removed template means a broken deployment
    refuse(exchange, 503, error_template_missing(prompt_.public_path()));
    log.add("error", "prompt template missing").add("prompt_template", prompt_.path());
    return;
  }
  if (std::string error = save_message(pool_, session.uuid, "user", message); !error.empty()) {
    log.add("db_error", error).add("not_stored", "user message");
    refuse(exchange, 503, kErrorDatabase);
    return;
  }
  HistoryLookup history = get_session_history(pool_, session.uuid);
  auto prompt = history.ok ? prompt_.render(lookup.document.resume, lookup.document.jd)
                           : std::nullopt;
  if (!history.ok || !prompt) {
    if (!history.ok) log.add("db_error", history.error);
    refuse(exchange, 503, history.ok ? error_template_missing(prompt_.public_path()) : kErrorDatabase);
    return;
  }
  exchange.write_head(200, {{"Content-Type", kEventStreamType}, {"Cache-Control", "no-store, no-transform"}});
  exchange.flush();  // headers now: the browser knows the stream has started
  long tokens = 0;
  long long first_token_us = -1;
  auto last_write = std::chrono::steady_clock::now();
  TextSink forward = [&](std::string_view text) {
    if (++tokens == 1) first_token_us = exchange.elapsed_us();
    last_write = std::chrono::steady_clock::now();
    return write_event(exchange, "token", "{\"text\":\"" + json_escape(text) + "\"}");
  };
  // Called about once a second by the client. While Claude is silent, a comment line keeps
  // proxies from timing out, and a closed connection (the browser left) stops the stream
  // and frees the session now rather than at the next write.
  auto heartbeat = [&] {
    if (std::chrono::steady_clock::now() - last_write >= kHeartbeatInterval) {
      last_write = std::chrono::steady_clock::now();
      return exchange.write(": ping\n\n") && exchange.flush();
    }
    return !exchange.peer_closed();
  };
  HistoryWindow sent = fit_history(history.messages, config_.history_max_tokens);
  log.add("history_turns_dropped", sent.turns_dropped);
  log.add("pre_upstream_us", exchange.elapsed_us());
  Reply reply = thread_client(config_).stream(*prompt, sent.turns, forward, &stopping_, heartbeat);
  if (reply.status == ReplyStatus::kCancelled && exchange.peer_closed()) {
    log.add("client", "gone");
  }
  finish_reply(exchange, session, reply, log);
  log.add("tokens_forwarded", tokens).add("first_token_us", first_token_us);
  metrics_.count_stream(stream_outcome(reply, first_token_us, exchange.elapsed_us()));
}

void App::finish_reply(Exchange& exchange, const Session& session, const Reply& reply,
                       LogLine& log) {
  log.add("reply", reply_status_name(reply.status))
      .add("stop_reason", reply.stop_reason).add("upstream_request_id", reply.request_id)
      .add("input_tokens", reply.usage.input_tokens)
      .add("output_tokens", reply.usage.output_tokens)
      .add("cache_read_input_tokens", reply.usage.cache_read_input_tokens)
      .add("cache_creation_input_tokens", reply.usage.cache_creation_input_tokens)
      .add("retries", reply.retries);
  // What the user saw is stored, complete or not, so the transcript matches the page.
  std::string save_error;
  if (!reply.text.empty()) save_error = save_message(pool_, session.uuid, "assistant", reply.text);
  if (!save_error.empty()) {
    log.set_level("error").add("db_error", save_error).add("not_stored", "assistant reply");
    write_event(exchange, "error",
                message_json("Error: The reply could not be saved. " + kErrorDatabase));
    return;
  }
  if (reply.status == ReplyStatus::kComplete) {
    write_event(exchange, "done", "{}");
    return;
  }
  log.set_level("warning").add("upstream_error", describe(reply));
  write_event(exchange, "error", message_json(reply_error_text(reply, stopping_)));
}

}  // namespace resume_chat
