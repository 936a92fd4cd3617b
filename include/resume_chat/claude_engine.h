// The upstream engine: every reply the worker streams, on one event thread.
//
// One libcurl multi handle, driven by epoll through curl's socket and timer callbacks,
// carries every request to the Messages API: HTTP/2 multiplexing (CURLPIPE_MULTIPLEX,
// CURLOPT_PIPEWAIT), so a thousand streams ride a handful of TLS connections; one CA store
// for the process (libcurl caches it per multi handle); TLS sessions shared. The same epoll
// set watches each stream's FastCGI connection: tokens are written to it without blocking as
// they arrive, a closed connection (Stop, a closed tab) aborts the upstream transfer at
// once, and a reader that stops reading only fills its own bounded buffer.
//
// The event thread never waits on anything else. A reply's life on it: submitted → attempts
// (retried per retry_policy.h until a response starts) → its text written as it arrives →
// the rest drained → hooks.ended (the owner stores the reply elsewhere, without blocking this
// thread) → conclude(): the last event, the FastCGI end, a half-close and a short linger for
// nginx to close its end → hooks.closed. The whole end of a stream is here, not on threads
// of its own: a thousand replies ending together cost the owner one statement, not a thread
// each.
//
// Timers, checked every 200 ms: the idle timeout (exactly `idle_timeout_s` after the last
// byte received; libcurl's speed averaging is not used), a `: ping` comment after 5 s
// without a write, retry backoff (retry_policy.h), a reader that takes nothing for 30 s,
// late_event() for a conclusion that takes long, and the last event's stall and linger.
//
// The reply's nouns, outermost first:
//   - ReplyStream: one reply from submit() to hooks.closed: the browser's connection, the
//     request body and the Reply. Owned by whoever holds the unique_ptr: the owner, then
//     the engine (submit() to hooks.closed), then the owner again.
//   - ChatStream (chat_route.cc): the /chat route's ReplyStream, adding the session, the
//     reply's id, the budget reservation and the log line. Read by the owner's hooks.
//   - Transfer (claude_engine.cc): the engine's state for one ReplyStream while it holds
//     it: the curl handle, retries, timers, text marks. The event thread's alone.
//   - ApiAttempt (claude_client.h): one HTTP exchange with the API, several on retries;
//     owned by its Transfer. ClaudeStream (claude_stream.h), inside it, decodes that
//     exchange's events and hands each piece of text to the engine; it keeps none.
//   - Reply (claude_client.h): what the API's part came to: status, text, usage, errors.
//     Written only on the event thread, by the engine (its text, retries, cancellation) and
//     by ApiAttempt::classify, which the engine calls; read by the owner after ended. The
//     reply's text is held once, in Reply::text.
#ifndef RESUME_CHAT_CLAUDE_ENGINE_H_
#define RESUME_CHAT_CLAUDE_ENGINE_H_

#include <curl/curl.h>
#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "resume_chat/claude_client.h"
#include "resume_chat/fcgi_connection.h"
#include "resume_chat/status.h"

namespace resume_chat {

// One reply on its way from the API to the browser. The chat route derives from it to carry
// its own state through to the end of the stream.
struct ReplyStream {
  virtual ~ReplyStream() = default;

  // What the reader gets for a piece of reply text: a /chat `token` event.
  virtual std::string event_for(std::string_view text) const;
  // Written once when the stream has waited EngineLimits::late_after for conclude(): the
  // reader learns why `done` is late ("" writes nothing).
  virtual std::string late_event() const { return ""; }

  // Set before submit():
  std::string api_body;       // the POST /v1/messages body
  FcgiConnection downstream;  // the browser's response, head already queued
  std::chrono::steady_clock::time_point accepted;  // when the request reached the worker

  // Filled by the engine:
  uint64_t id = 0;           // for conclude(); set by submit()
  Reply reply;               // reply.text: everything received
  size_t text_written = 0;   // how much of reply.text reached the reader (was written to nginx)
  long tokens_forwarded = 0;
  long long first_token_us = -1;  // from `accepted`

  std::string_view text_shown() const { return std::string_view(reply.text).substr(0, text_written); }
  bool fully_written() const { return text_written == reply.text.size(); }
};

struct EngineLimits {
  std::chrono::milliseconds heartbeat{5000};      // a `: ping` after this long without a write
  std::chrono::milliseconds reader_stall{30000};  // output pending, none taken this long: cancel
  std::chrono::milliseconds late_after{2000};     // waiting this long for conclude(): late_event()
  std::chrono::milliseconds last_write_stall{10000};  // the last event unread this long: close
  std::chrono::milliseconds close_linger{2000};   // for nginx to close its end after ours
  size_t max_pending_bytes = 256 * 1024;          // output a slow reader may leave unread
  long max_connections = 0;                       // to the API; 0: no limit
};

struct EngineStats {
  long connections_opened = 0;  // new connections to the API, over the process's life
  long retries = 0;
};

// What the engine tells its owner, on the event thread; neither may block.
struct EngineHooks {
  // The reply is over: the API's part has ended and its text is written (or the reader is
  // gone). The response stays open, with pings, until the owner calls conclude(stream.id).
  std::function<void(ReplyStream&)> ended;
  // The response is ended and its connection closed: the stream is the owner's again.
  std::function<void(std::unique_ptr<ReplyStream>)> closed;
};

class ClaudeEngine {
 public:
  ClaudeEngine(ClaudeConfig config, EngineLimits limits = {});
  // The limits for a worker of `stream_capacity`: at most api_connections() to the API.
  static EngineLimits limits_for(const ClaudeConfig& config, int stream_capacity);
  // Connections to the API a worker of `stream_capacity` may open: over HTTPS (HTTP/2, about
  // 100 streams a connection) enough for the capacity and a few to spare; over plain HTTP
  // (one stream a connection: only local simulators) one per stream.
  static long api_connections(const std::string& base_url, long stream_capacity);
  ~ClaudeEngine();
  ClaudeEngine(const ClaudeEngine&) = delete;
  ClaudeEngine& operator=(const ClaudeEngine&) = delete;

  const ClaudeConfig& config() const { return config_; }
  // Starts the event thread. The key check needs no hooks; streams do.
  Status start();
  // Any thread, before the first submit(): where ended and closed streams go.
  void set_hooks(EngineHooks hooks);
  // Any thread. The engine owns the stream until it hands it to hooks.closed.
  void submit(std::unique_ptr<ReplyStream> stream);
  // Any thread, once hooks.ended has had the stream: writes `last_event` (may be ""), ends
  // the response, closes the connection without waiting, then hooks.closed.
  void conclude(uint64_t stream_id, std::string last_event);
  // GET /v1/models through the engine (the startup check): warms the connection and the CA
  // store the streams will use. Any thread but the event thread.
  KeyCheck check_api_key(std::chrono::seconds timeout);
  // Ends every stream now, and any submitted later, as cancelled for `why`.
  void cancel_all(CancelReason why);
  // Streams submitted and not yet handed to hooks.closed.
  int active() const { return active_.load(); }
  EngineStats stats() const;
  // Ends the event thread. Call when active() is 0.
  void stop();

  struct Transfer;  // one stream's upstream state; defined in claude_engine.cc

 private:
  // What other threads hand the event thread. Streams travel owned, so a command that
  // fails cannot lose one.
  struct Inbox {
    std::vector<std::unique_ptr<ReplyStream>> submitted;
    std::vector<std::pair<uint64_t, std::string>> concluded;
    std::vector<std::function<void()>> commands;  // probes, cancel_all, quit
  };

  void run();
  void run_once(std::vector<epoll_event>& events);
  void wake();
  void post(std::function<void()> command);
  void run_inbox();
  void dispatch(uint64_t tag, uint32_t events);
  void adopt(std::unique_ptr<ReplyStream> stream);
  bool new_easy(Transfer& transfer, const std::string& url, curl_slist* headers, long timeout_s);
  void start_attempt(Transfer& transfer);
  void start_probe(std::promise<KeyCheck>* result, std::chrono::seconds timeout);
  void read_completions();
  void end_attempt(Transfer& transfer);
  void cancel(Transfer& transfer, CancelReason why);
  void drain_rest(Transfer& transfer);
  void await_conclusion(Transfer& transfer);
  void start_closing(Transfer& transfer, const std::string& last_event);
  void close_now(Transfer& transfer);
  void release_closed();
  void tick();
  void tick_stream(Transfer& transfer, std::chrono::steady_clock::time_point now);
  bool forward(Transfer& transfer, std::string_view text);
  void write_downstream(Transfer& transfer);
  void watch(Transfer& transfer, uint32_t events);
  int next_timeout_ms() const;

 public:  // for the C callbacks in claude_engine.cc
  void on_socket(curl_socket_t socket, int what, void* registered);
  void on_timer(long timeout_ms);

 private:
  const ClaudeConfig config_;
  EngineHooks hooks_;  // set on the event thread (set_hooks), read only there
  const EngineLimits limits_;
  std::string url_, probe_url_;

  // Owned by the event thread once started.
  int epoll_fd_ = -1, wake_fd_ = -1;
  CURLM* multi_ = nullptr;
  CURLSH* share_ = nullptr;
  curl_slist* headers_ = nullptr;
  curl_slist* probe_headers_ = nullptr;
  std::unordered_map<Transfer*, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<uint64_t, Transfer*> by_id_;  // streams only, for conclude()
  std::vector<Transfer*> closed_;                  // to hand to hooks_.closed this turn
  std::optional<std::chrono::steady_clock::time_point> curl_deadline_;
  std::chrono::steady_clock::time_point next_tick_;
  CancelReason refuse_new_ = CancelReason::kNone;
  bool quit_ = false;

  std::thread thread_;
  std::mutex inbox_mu_;
  Inbox inbox_;  // guarded by inbox_mu_
  std::atomic<int> active_{0};
  std::atomic<uint64_t> next_id_{1};
  std::atomic<long> connections_opened_{0}, retries_{0};
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_CLAUDE_ENGINE_H_
