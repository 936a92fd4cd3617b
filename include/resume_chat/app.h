// The worker's routes: GET / (the page), POST /chat (a streamed reply), GET /healthz and
// GET /metrics. Owns everything a request needs that outlives it: configuration, templates,
// session signer, stream admission, metrics, and the finisher threads that end streams.
//
// A /chat request runs in three places: a request thread checks it, stores the question,
// builds the API request and hands the connection to the upstream engine; the engine's
// event thread streams the reply; a finisher thread stores the reply, writes the last
// event and closes the connection. One thread touches a request at a time.
//
// handle() and finish_stream() never throw: whatever is thrown becomes a 500 (before a
// response started) or an error event (once a stream has). Every request ends with one
// JSON log line and a metrics count.
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
#include "resume_chat/config.h"
#include "resume_chat/db_pool.h"
#include "resume_chat/document_cache.h"
#include "resume_chat/exchange.h"
#include "resume_chat/invite_link.h"
#include "resume_chat/log.h"
#include "resume_chat/metrics.h"
#include "resume_chat/page.h"
#include "resume_chat/prompt.h"
#include "resume_chat/session_token.h"
#include "resume_chat/stream_registry.h"
#include "resume_chat/upstream_engine.h"
#include "resume_chat/work_queue.h"
#include "resume_chat/token_budget.h"

namespace resume_chat {

using EndedStreams = WorkQueue<std::unique_ptr<ReplyStream>>;

// The ClaudeConfig the worker's settings describe.
ClaudeConfig claude_config(const Config& config);

class App {
 public:
  // `ended` is where `engine` puts the streams it has finished with.
  App(Config config, DbPool& pool, PageRenderer page, PromptTemplate& prompt,
      UpstreamEngine& engine, EndedStreams& ended);
  ~App();

  // Request threads.
  void handle(Exchange& exchange);

  // On SIGTERM, once no new request can arrive: streams in flight get `grace` to finish,
  // then end as cancelled ("the server is restarting"); returns when every stream has been
  // stored and closed.
  void drain(std::chrono::seconds grace);

 private:
  void handle_page(Exchange& exchange, LogLine& log);
  DocumentLookup find_document(const std::string& name);  // through documents_
  // True when the request became a stream: its log line and count come at its end.
  bool handle_chat(Exchange& exchange, LogLine& log);
  bool start_stream(Exchange& exchange, const Session& session, const ChatRequest& request,
                    StreamRegistry::Ticket ticket, LogLine& log);
  void handle_health(Exchange& exchange, LogLine& log);
  void handle_metrics(Exchange& exchange);
  void send_page(Exchange& exchange, int status, const PageModel& model);
  void send_plain(Exchange& exchange, int status, const std::string& text,
                  const Headers& extra = {});

  void run_finisher();
  void finish_stream(ReplyStream& stream);

  const Config config_;
  const ClaudeConfig claude_;
  DbPool& pool_;
  DocumentCache documents_;  // pages only; the chat reads the row every time
  const PageRenderer page_;
  PromptTemplate& prompt_;
  const SessionSigner signer_;
  const LinkGate links_;  // LINK_SECRET: pages need a signed invitation link
  TokenBudget budget_;    // DAILY_TOKEN_BUDGET: checked before a chat, recorded after a reply
  Metrics metrics_;
  StreamRegistry streams_;
  UpstreamEngine& engine_;
  EndedStreams& ended_;
  std::vector<std::thread> finishers_;
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_APP_H_
