// The worker's routes: GET / (the page), POST /chat (a streamed reply), GET /healthz and
// GET /metrics. Owns everything a request needs that outlives it: configuration, pool,
// templates, session signer, metrics.
//
// handle() never throws: an unexpected exception becomes a 500 (or an error event when a
// stream has started). Every request ends with one JSON log line and a metrics count.
#ifndef RESUME_CHAT_APP_H_
#define RESUME_CHAT_APP_H_

#include <atomic>
#include <mutex>
#include <set>
#include <string>

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
#include "resume_chat/token_budget.h"

namespace resume_chat {

class App {
 public:
  App(Config config, DbPool& pool, PageRenderer page, PromptTemplate& prompt);

  void handle(Exchange& exchange);

  // Set on SIGTERM: streams in flight stop at their next token after the grace period.
  std::atomic<bool>& stopping() { return stopping_; }

 private:
  void handle_page(Exchange& exchange, LogLine& log);
  DocumentLookup find_document(const std::string& name);  // through documents_
  void handle_chat(Exchange& exchange, LogLine& log);
  void handle_health(Exchange& exchange, LogLine& log);
  void handle_metrics(Exchange& exchange);
  void stream_reply(Exchange& exchange, const Session& session, const std::string& message,
                    LogLine& log);
  void finish_reply(Exchange& exchange, const Session& session, const Reply& reply,
                    LogLine& log);
  void send_page(Exchange& exchange, int status, const PageModel& model);
  void send_plain(Exchange& exchange, int status, const std::string& text,
                  const Headers& extra = {});

  // At most one stream per session: a second concurrent /chat gets 409.
  bool claim_session(const std::string& uuid);
  void release_session(const std::string& uuid);

  const Config config_;
  DbPool& pool_;
  DocumentCache documents_;  // pages only; the chat reads the row every time
  const PageRenderer page_;
  PromptTemplate& prompt_;
  const SessionSigner signer_;
  const LinkGate links_;  // LINK_SECRET: pages need a signed invitation link
  TokenBudget budget_;    // DAILY_TOKEN_BUDGET: checked before a chat, recorded after a reply
  Metrics metrics_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> active_streams_{0};
  std::mutex sessions_mu_;
  std::set<std::string> streaming_sessions_;  // guarded by sessions_mu_
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_APP_H_
