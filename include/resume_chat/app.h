// The worker's routes: GET / (the page), POST /chat (a streamed reply), GET /healthz and
// GET /metrics. Owns everything a request needs that outlives it: configuration, templates,
// session signer, stream admission, metrics, the upstream engine and the reply writer.
//
// A /chat request runs in three places: a request thread checks it and, in one round trip,
// claims the session, reserves its budget, stores the question and reads the history, then
// hands the connection to the upstream engine; the engine's event thread streams the reply
// and, when it has ended, gives it to the reply writer; the writer's thread stores it with
// every other reply that ended meanwhile (a group commit), releases its session, and asks the
// engine for the last event (`done` follows the store) and the close. One thread touches a
// request's state at a time.
//
// handle() never throws: whatever is thrown becomes a 500 (before a response started) or an
// error event (once a stream has). Every request ends with one JSON log line and a metrics
// count; a stream's when its connection closes.
#ifndef RESUME_CHAT_APP_H_
#define RESUME_CHAT_APP_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "resume_chat/chat_request.h"
#include "resume_chat/claude_client.h"
#include "resume_chat/claude_engine.h"
#include "resume_chat/config.h"
#include "resume_chat/db_pool.h"
#include "resume_chat/document_cache.h"
#include "resume_chat/fcgi_exchange.h"
#include "resume_chat/invite_link.h"
#include "resume_chat/log.h"
#include "resume_chat/metrics.h"
#include "resume_chat/page.h"
#include "resume_chat/prompt.h"
#include "resume_chat/reply_writer.h"
#include "resume_chat/session_token.h"
#include "resume_chat/stream_registry.h"
#include "resume_chat/token_budget.h"

namespace resume_chat {

// The ClaudeConfig the worker's settings describe.
ClaudeConfig claude_config(const Config& config);

struct ChatStream;  // chat_route.cc: a /chat reply's state

class App {
 public:
  // Takes the engine, started (the startup check has used it), and owns it from here: its
  // hooks are this App's, and it stops before anything they use is destroyed.
  App(Config config, DbPool& pool, PageRenderer page, PromptTemplate& prompt,
      std::unique_ptr<ClaudeEngine> engine);
  ~App();

  // Request threads.
  void handle(FcgiExchange& exchange);

  // On SIGTERM, once no new request can arrive: streams in flight get `grace` to finish, then
  // end as `shutdown`; every reply is stored (in one or a few statements) and every stream
  // closed before `kill_at`, the supervisor's deadline, less a margin to exit.
  void drain(std::chrono::seconds grace, std::chrono::steady_clock::time_point kill_at);

 private:
  void handle_page(FcgiExchange& exchange, LogLine& log);
  DocumentLookup find_document(const std::string& name);  // through documents_
  // True when the request became a stream: its log line and count come at its end.
  bool handle_chat(FcgiExchange& exchange, LogLine& log);
  bool start_stream(FcgiExchange& exchange, const Session& session, const ChatRequest& request,
                    StreamRegistry::Ticket ticket, LogLine& log);
  void handle_health(FcgiExchange& exchange, LogLine& log);
  void handle_metrics(FcgiExchange& exchange);
  void send_page(FcgiExchange& exchange, int status, const PageModel& model);
  void send_plain(FcgiExchange& exchange, int status, const std::string& text,
                  const Headers& extra = {});

  void abandon(ChatStream& stream);
  // The engine's hooks, on its event thread (chat_route.cc).
  void on_reply_ended(ReplyStream& stream);
  void on_stream_closed(std::unique_ptr<ReplyStream> stream);

  const Config config_;
  DbPool& pool_;
  DocumentCache documents_;  // pages only; the chat reads the row every time
  const PageRenderer page_;
  PromptTemplate& prompt_;
  const SessionSigner signer_;
  const LinkGate links_;  // LINK_SECRET: pages need a signed invitation link
  TokenBudget budget_;    // DAILY_TOKEN_BUDGET: /metrics' view; chats reserve in start_chat
  Metrics metrics_;
  StreamRegistry streams_;
  ReplyWriter writer_;
  std::unique_ptr<ClaudeEngine> engine_;  // stopped first in ~App: its hooks use the above
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_APP_H_
