// POST /chat. On a request thread: verify → admit → one round trip (claim the session,
// reserve the budget, store the question, read the history: start_chat) → prompt → hand the
// connection to the upstream engine, which forwards each token as it arrives. On the
// engine's event thread, once the reply has ended: its record to the reply writer. On the
// writer's thread, once stored with the others that ended meanwhile: the session released,
// then the last event (`done` follows the store), written and closed by the engine. No
// database connection is held while a reply streams. Response events: history, token,
// notice, done, error (chat_events.h; docs/architecture.md, "The /chat contract").
#include <ctime>
#include <optional>

#include "resume_chat/app.h"
#include "resume_chat/chat_events.h"
#include "resume_chat/chat_request.h"
#include "resume_chat/chat_store.h"
#include "resume_chat/history.h"
#include "resume_chat/log.h"
#include "resume_chat/reply_outcome.h"
#include "resume_chat/user_texts.h"

namespace resume_chat {
namespace {

const char* const kNoStore = "no-store, no-transform";
// Estimated bytes per token (history.h's estimate_tokens): the history re-read at most.
constexpr int64_t kBytesPerTokenCeiling = 4;

// A refusal before streaming: the status plus the same `error` event the stream would send.
void refuse(FcgiExchange& exchange, int status, const std::string& text, const Headers& extra = {}) {
  Headers headers{{"Content-Type", kEventStreamType}, {"Cache-Control", kNoStore}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  exchange.respond(status, std::move(headers), error_event(text));
}

}  // namespace

// What the writer's callback and the stream share: the callback may run after the stream
// has closed (its reader gone), and the stream reads `stored` only after the callback ran.
struct ReplyEnd {
  StreamRegistry::Ticket ticket;  // the session's claim and the capacity slot in this worker
  Status stored;
};

// The chat route's state, carried through the engine to the end of the stream.
struct ChatStream final : ReplyStream {
  std::string late_event() const override {
    return notice_event("Saving this reply is taking longer than usual. It is kept, and will "
                        "be saved as soon as the database answers.");
  }

  Session session;
  std::string reply_uuid;
  int64_t reserved = 0;
  std::string reserved_day;
  LogLine log{"info"};
  std::shared_ptr<ReplyEnd> end = std::make_shared<ReplyEnd>();
  bool recorded = false;  // handed to the writer (on_reply_ended or abandon)
};

namespace {

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

// The tokens a reply cost: its usage, but a reply that ended before the final usage
// (message_delta) counts at least the text that streamed.
TokenCounts tokens_used(const Reply& reply) {
  const Usage& u = reply.usage;
  int64_t output = u.output_tokens;
  if (reply.status != ReplyStatus::kComplete) {
    output = std::max<int64_t>(output, static_cast<int64_t>(estimate_tokens(reply.text)));
  }
  return {u.input_tokens, output, u.cache_read_input_tokens, u.cache_creation_input_tokens};
}

void log_reply(LogLine& log, const ReplyStream& stream, ReplyOutcome outcome, const TokenCounts& used) {
  const Reply& reply = stream.reply;
  log.add("reply", reply_status_name(reply.status)).add("outcome", outcome_name(outcome))
      .add("stop_reason", reply.stop_reason).add("upstream_request_id", reply.request_id)
      .add("input_tokens", reply.usage.input_tokens)
      .add("output_tokens", used.output)
      .add("cache_read_input_tokens", reply.usage.cache_read_input_tokens)
      .add("cache_creation_input_tokens", reply.usage.cache_creation_input_tokens)
      .add("retries", reply.retries)
      .add("tokens_forwarded", stream.tokens_forwarded)
      .add("first_token_us", stream.first_token_us);
  if (!stream.fully_written()) {
    log.add("text_not_written_bytes", static_cast<long long>(stream.reply.text.size() - stream.text_written));
  }
  if (reply.cancel_reason != CancelReason::kNone) {
    log.add("client", cancel_reason_name(reply.cancel_reason));
  }
}

}  // namespace

bool App::handle_chat(FcgiExchange& exchange, LogLine& log) {
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
  StreamRegistry::Admission admission = streams_.admit(session.uuid);
  if (!admission.ticket) {
    // Past capacity, say so at once rather than queue.
    if (admission.refusal == StreamRegistry::Refusal::kSessionStreaming) {
      refuse(exchange, 409, kErrorSessionStreaming, {{"Retry-After", "1"}});
    } else {
      refuse(exchange, 503, "Error: The chat is busy right now. Please try again in a moment.",
             {{"Retry-After", "5"}});
    }
    return false;
  }
  if (!prompt_.exists()) {  // cached, but a removed template means a broken deployment
    refuse(exchange, 503, error_template_missing(prompt_.public_path()));
    log.add("error", "prompt template missing").add("prompt_template", prompt_.path());
    return false;
  }
  return start_stream(exchange, session, *parsed.request, std::move(*admission.ticket), log);
}

bool App::start_stream(FcgiExchange& exchange, const Session& session, const ChatRequest& request,
                       StreamRegistry::Ticket ticket, LogLine& log) {
  auto stream = std::make_unique<ChatStream>();
  stream->reply_uuid = new_uuid4();
  const ClaudeConfig& claude = engine_->config();
  ChatStartRequest want;
  want.session_uuid = session.uuid;
  want.document_name = session.document_name;
  want.reply_uuid = stream->reply_uuid;
  want.question = request.message;
  want.regenerate = request.regenerate;
  want.max_tokens = claude.max_tokens;
  want.daily_budget = budget_.budget();
  want.history_bytes = static_cast<int64_t>(config_.history_max_tokens) * kBytesPerTokenCeiling;
  want.claim_seconds = kClaimSeconds;  // renewed by the writer while the reply lives
  Result<ChatStart> started = start_chat(pool_, want);
  if (!started.ok()) {
    log.add("db_error", started.status().message()).add("not_stored", "user message");
    refuse(exchange, 503, kErrorDatabase);
    return false;
  }
  ChatStart& start = started.value();
  if (request.regenerate) log.add("superseded", start.superseded);
  switch (start.verdict) {
    case ChatStartVerdict::kStarted:
      break;
    case ChatStartVerdict::kNoDocument:
      refuse(exchange, 404,
             error_not_found(display_text(session.document_name, kMaxDocumentNameChars)));
      return false;
    case ChatStartVerdict::kSessionBusy:  // on another worker (behind an nginx upstream)
      log.add("session_claimed_elsewhere", true);
      refuse(exchange, 409, kErrorSessionStreaming, {{"Retry-After", "1"}});
      return false;
    case ChatStartVerdict::kOverBudget:
      log.add("budget", "exhausted");
      refuse(exchange, 429, budget_exhausted_message(budget_.budget(), start.seconds_to_reset),
             {{"Retry-After", std::to_string(start.seconds_to_reset)}});
      return false;
  }
  writer_.hold_claim(stream->reply_uuid);
  stream->session = session;
  stream->reserved = start.reserved;
  stream->reserved_day = start.reserved_day;
  stream->end->ticket = std::move(ticket);
  auto prompt = prompt_.render(start.document.resume, start.document.jd);
  if (!prompt) {  // removed since the check above: the question still gets its (empty) answer
    refuse(exchange, 503, error_template_missing(prompt_.public_path()));
    log.add("error", "prompt template missing").add("prompt_template", prompt_.path());
    abandon(*stream);
    return false;
  }
  HistoryWindow sent = fit_history(start.history, config_.history_max_tokens);
  const size_t omitted = start.older_messages + sent.turns_dropped;
  log.add("history_turns_dropped", omitted);
  stream->api_body = build_messages_body(claude, *prompt, sent.turns);
  stream->accepted = exchange.accepted();
  const std::string head =
      exchange.head(200, {{"Content-Type", kEventStreamType}, {"Cache-Control", kNoStore}});
  stream->downstream = exchange.detach(200);
  stream->downstream.queue(head);  // the browser knows at once that the stream has started
  if (omitted > 0) stream->downstream.queue(history_event(omitted));
  log.add("pre_upstream_us", exchange.elapsed_us());
  stream->log = std::move(log);
  engine_->submit(std::move(stream));
  return true;
}

namespace {

// What the writer stores for a chat's reply, bar its text, usage and outcome.
ReplyRecord record_of(ChatStream& stream) {
  stream.recorded = true;
  ReplyRecord record;
  record.reply_uuid = stream.reply_uuid;
  record.session_uuid = stream.session.uuid;
  record.reserved = stream.reserved;
  record.reserved_day = stream.reserved_day;
  return record;
}

}  // namespace

// A chat claimed and asked but never streamed: its empty, failed answer releases the claim
// and the reservation like any other reply.
void App::abandon(ChatStream& stream) {
  ReplyRecord record = record_of(stream);
  record.outcome = ReplyOutcome::kFailed;
  writer_.submit(std::move(record), [end = stream.end](const Status&) { end->ticket.release(); });
}

// Event thread: the reply is over. What the reader was given is stored, with how it ended
// and what it cost, by the writer together with the others that end meanwhile.
void App::on_reply_ended(ReplyStream& ended) {
  auto& stream = static_cast<ChatStream&>(ended);
  const Reply& reply = stream.reply;
  const ReplyOutcome outcome = outcome_of(reply, stream.fully_written());
  ReplyRecord record = record_of(stream);
  record.contents = std::string(stream.text_shown());
  record.outcome = outcome;
  record.usage = tokens_used(reply);
  log_reply(stream.log, stream, outcome, record.usage);
  std::string last_event;
  if (finished(outcome)) {
    last_event = done_event(outcome_name(outcome));
  } else {
    if (outcome != ReplyOutcome::kStopped && outcome != ReplyOutcome::kShutdown) {
      stream.log.set_level("warning").add("upstream_error", describe(reply));
    }
    last_event = error_event(reply_error_text(reply));
  }
  writer_.submit(std::move(record),
                 [this, id = stream.id, end = stream.end, last_event](const Status& stored) {
                   end->stored = stored;
                   end->ticket.release();  // stored: the session's next message may start
                   engine_->conclude(id, stored.ok() ? last_event
                                                     : error_event(kErrorReplyNotSaved));
                 });
}

// Event thread: the response is closed. The request's log line and counts.
void App::on_stream_closed(std::unique_ptr<ReplyStream> closed) {
  auto& stream = static_cast<ChatStream&>(*closed);
  LogLine& log = stream.log;
  if (!stream.recorded) abandon(stream);  // the engine could not take it: release its claim
  if (!stream.end->stored.ok()) {
    log.set_level("error").add("db_error", stream.end->stored.message())
        .add("not_stored", "assistant reply");
  }
  const long long duration_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now() - stream.accepted).count();
  log.add("status", 200).add("duration_us", duration_us).emit();
  metrics_.count_request("/chat", 200);
  metrics_.count_stream(stream_outcome(stream, duration_us));
}

}  // namespace resume_chat
