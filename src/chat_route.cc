// POST /chat. On a request thread: verify → admit → document → save the question →
// history → prompt → hand the connection to the upstream engine, which forwards each token
// as it arrives. On a finisher thread, once the stream has ended: save the reply → `done`
// or `error` → close → log line and metrics. No database connection is held while a reply
// streams. Response events: token, done, error (chat_events.h; docs/architecture.md, "The /chat contract").
#include <ctime>
#include <optional>

#include "resume_chat/app.h"
#include "resume_chat/chat_events.h"
#include "resume_chat/chat_request.h"
#include "resume_chat/chat_store.h"
#include "resume_chat/history.h"
#include "resume_chat/log.h"
#include "resume_chat/messages.h"

namespace resume_chat {
namespace {

const char* const kNoStore = "no-store, no-transform";
// How long a finished stream's last event may wait for a reader that is not reading, and
// how long nginx gets to close its end after the response.
constexpr std::chrono::seconds kLastEventStall{10};
constexpr std::chrono::seconds kCloseLinger{2};

// A refusal before streaming: the status plus the same `error` event the stream would send.
void refuse(Exchange& exchange, int status, const std::string& text, const Headers& extra = {}) {
  Headers headers{{"Content-Type", kEventStreamType}, {"Cache-Control", kNoStore}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  exchange.respond(status, std::move(headers), error_event(text));
}

// The chat route's state, carried through the engine to the finisher.
struct ChatStream final : ReplyStream {
  Session session;
  LogLine log{"info"};
  StreamRegistry::Ticket ticket;
};

// The metrics' view of a reply. A reply the user stopped (or a shutdown) is no upstream error.
StreamOutcome stream_outcome(const ReplyStream& stream, long long duration_us) {
  const Reply& reply = stream.reply;
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
  out.first_token_us = stream.first_token_us;
  out.duration_us = duration_us;
  out.input_tokens = reply.usage.input_tokens;
  out.output_tokens = reply.usage.output_tokens;
  out.cache_read_tokens = reply.usage.cache_read_input_tokens;
  out.cache_creation_tokens = reply.usage.cache_creation_input_tokens;
  out.retries = reply.retries;
  return out;
}

const char* cancel_reason_name(CancelReason why) {
  switch (why) {
    case CancelReason::kClientGone: return "gone";
    case CancelReason::kClientTooSlow: return "too_slow";
    case CancelReason::kShutdown: return "shutdown";
    case CancelReason::kInternalError: return "internal_error";
    case CancelReason::kNone: break;
  }
  return "";
}

void log_reply(LogLine& log, const ReplyStream& stream) {
  const Reply& reply = stream.reply;
  log.add("reply", reply_status_name(reply.status))
      .add("stop_reason", reply.stop_reason).add("upstream_request_id", reply.request_id)
      .add("input_tokens", reply.usage.input_tokens)
      .add("output_tokens", reply.usage.output_tokens)
      .add("cache_read_input_tokens", reply.usage.cache_read_input_tokens)
      .add("cache_creation_input_tokens", reply.usage.cache_creation_input_tokens)
      .add("retries", reply.retries)
      .add("tokens_forwarded", stream.tokens_forwarded)
      .add("first_token_us", stream.first_token_us);
  if (reply.cancel_reason != CancelReason::kNone) {
    log.add("client", cancel_reason_name(reply.cancel_reason));
  }
}

}  // namespace

bool App::handle_chat(Exchange& exchange, LogLine& log) {
  if (exchange.method() != "POST") {
    refuse(exchange, 405, "Error: Use POST to send a chat message.", {{"Allow", "POST"}});
    return false;
  }
  std::string body;
  // Worst case: every character of the longest message escaped as \uXXXX, plus a token.
  const size_t body_limit = static_cast<size_t>(config_.max_message_chars) * 12 + 4096;
  BodyStatus read = exchange.read_body(body_limit, body);
  if (read == BodyStatus::kTooLarge) {
    refuse(exchange, 413, "Error: The message is too long.");
    return false;
  }
  if (read != BodyStatus::kOk) {
    refuse(exchange, 400, "Error: The request body was incomplete.");
    return false;
  }
  ChatRequestParse parsed =
      parse_chat_request(exchange.param("CONTENT_TYPE"), body, config_.max_message_chars);
  if (!parsed.request) {
    refuse(exchange, parsed.status, parsed.error);
    return false;
  }
  auto verified = signer_.verify(parsed.request->session_token, std::time(nullptr));
  if (verified.verdict != SessionSigner::Verdict::kValid) {
    refuse(exchange, 403,
           verified.verdict == SessionSigner::Verdict::kExpired
               ? "Error: This chat session has expired. Reload the page to start a new one."
               : "Error: This chat session is not valid. Reload the page to start a new one.");
    return false;
  }
  const Session& session = verified.session;
  log.add("session", session.uuid);
  if (auto over = budget_.refusal()) {  // DAILY_TOKEN_BUDGET (token_budget.h)
    log.add("budget", over->status == 429 ? "exhausted" : over->log_error);
    Headers retry;
    if (over->retry_after_s > 0) retry.emplace_back("Retry-After", std::to_string(over->retry_after_s));
    refuse(exchange, over->status, over->message, retry);
    return false;
  }
  StreamRegistry::Admission admission = streams_.admit(session.uuid);
  if (!admission.ticket) {
    // Past capacity, say so at once rather than queue.
    if (admission.refusal == StreamRegistry::Refusal::kSessionStreaming) {
      refuse(exchange, 409, "Error: A reply is still streaming in this chat. Wait or stop it.");
    } else {
      refuse(exchange, 503, "Error: The chat is busy right now. Please try again in a moment.",
             {{"Retry-After", "5"}});
    }
    return false;
  }
  return start_stream(exchange, session, *parsed.request, std::move(*admission.ticket), log);
}

bool App::start_stream(Exchange& exchange, const Session& session, const ChatRequest& request,
                       StreamRegistry::Ticket ticket, LogLine& log) {
  DocumentLookup lookup = get_document_by_name(pool_, session.document_name);
  if (lookup.status != Lookup::kFound) {
    bool db_error = lookup.status == Lookup::kDatabaseError;
    if (db_error) log.add("db_error", lookup.error);
    refuse(exchange, db_error ? 503 : 404,
           db_error ? kErrorDatabase : error_not_found(session.document_name));
    return false;
  }
  if (!prompt_.exists()) {  // cached, but a removed template means a broken deployment
    refuse(exchange, 503, error_template_missing(prompt_.public_path()));
    log.add("error", "prompt template missing").add("prompt_template", prompt_.path());
    return false;
  }
  // Regenerate (Retry) stores the question once and marks the replies it replaces.
  QuestionStore question =
      store_question(pool_, session.uuid, request.message, request.regenerate,
                     session.document_name);
  if (request.regenerate) log.add("superseded", question.superseded);
  if (!question.error.empty()) {
    log.add("db_error", question.error).add("not_stored", "user message");
    refuse(exchange, 503, kErrorDatabase);
    return false;
  }
  HistoryLookup history = get_session_history(pool_, session.uuid);
  auto prompt = history.ok ? prompt_.render(lookup.document.resume, lookup.document.jd)
                           : std::nullopt;
  if (!history.ok || !prompt) {
    if (!history.ok) log.add("db_error", history.error);
    refuse(exchange, 503, history.ok ? error_template_missing(prompt_.public_path()) : kErrorDatabase);
    return false;
  }
  HistoryWindow sent = fit_history(history.messages, config_.history_max_tokens);
  log.add("history_turns_dropped", sent.turns_dropped);
  auto stream = std::make_unique<ChatStream>();
  stream->api_body = build_messages_body(claude_, *prompt, sent.turns);
  stream->accepted = exchange.accepted();
  stream->session = session;
  stream->ticket = std::move(ticket);
  const std::string head =
      exchange.head(200, {{"Content-Type", kEventStreamType}, {"Cache-Control", kNoStore}});
  stream->downstream = exchange.detach(200);
  stream->downstream.queue(head);  // the browser knows at once that the stream has started
  log.add("pre_upstream_us", exchange.elapsed_us());
  stream->log = std::move(log);
  engine_.submit(std::move(stream));
  return true;
}

void App::run_finisher() {
  while (std::optional<std::unique_ptr<ReplyStream>> ended = ended_.pop()) {
    try {
      finish_stream(**ended);
    } catch (...) {  // out of memory while closing: the connection closes with the stream
      log_event("error", "a stream could not be finished cleanly");
    }
  }
}

// The end of a stream, where blocking is allowed. What the reader saw is stored, complete or
// not, so the transcript matches the page; then the last event, then the log line.
void App::finish_stream(ReplyStream& ended) {
  auto& stream = static_cast<ChatStream&>(ended);
  LogLine& log = stream.log;
  const Reply& reply = stream.reply;
  std::string last_event;
  try {
    log_reply(log, stream);
    // Before the last event, so the next chat already sees these tokens (token_budget.h).
    const Usage& used = reply.usage;
    if (std::string error = budget_.record({used.input_tokens, used.output_tokens,
                                            used.cache_read_input_tokens,
                                            used.cache_creation_input_tokens});
        !error.empty()) {
      log.add("budget_error", error);
    }
    std::string save_error;
    if (!reply.text.empty()) save_error = save_reply(pool_, stream.session.uuid, reply.text);
    stream.ticket.release_session();  // stored: the session's next message may start
    if (!save_error.empty()) {
      log.set_level("error").add("db_error", save_error).add("not_stored", "assistant reply");
      last_event = error_event("Error: The reply could not be saved. " + kErrorDatabase);
    } else if (reply.status == ReplyStatus::kComplete) {
      last_event = done_event();
    } else {
      if (reply.status != ReplyStatus::kCancelled) {
        log.set_level("warning").add("upstream_error", describe(reply));
      }
      last_event = error_event(reply_error_text(reply));
    }
  } catch (...) {  // a stream that started always ends with an event
    log.set_level("error").add("error", "exception while finishing the stream");
    last_event = error_event("Error: Something went wrong on the server. Please try again.");
  }
  FcgiConnection& out = stream.downstream;
  out.queue(last_event);
  out.queue_end();
  out.drain_within(kLastEventStall);
  out.close_gracefully(kCloseLinger);
  const long long duration_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now() - stream.accepted).count();
  log.add("status", 200).add("duration_us", duration_us).emit();
  metrics_.count_request("/chat", 200);
  metrics_.count_stream(stream_outcome(stream, duration_us));
}

}  // namespace resume_chat
