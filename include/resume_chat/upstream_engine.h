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
// The event thread never waits on anything else. A stream that has ended — complete,
// failed, or cancelled, with its output written — goes to `on_finished`, which runs on the
// event thread and must only hand it on (saving the reply happens where blocking is allowed).
//
// Timers, checked every 200 ms: the idle timeout (exactly `idle_timeout_s` after the last
// byte received; libcurl's speed averaging is not used), a `: ping` comment after 5 s
// without a write, retry backoff (retry_policy.h), and a reader that takes nothing for 30 s.
#ifndef RESUME_CHAT_UPSTREAM_ENGINE_H_
#define RESUME_CHAT_UPSTREAM_ENGINE_H_

#include <curl/curl.h>

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

namespace resume_chat {

// One reply on its way from the API to the browser. The chat route derives from it to carry
// its own state through to the end of the stream.
struct ReplyStream {
  virtual ~ReplyStream() = default;

  // What the reader gets for a piece of reply text: a /chat `token` event.
  virtual std::string event_for(std::string_view text) const;

  // Set before submit():
  std::string api_body;       // the POST /v1/messages body
  FcgiConnection downstream;  // the browser's response, head already queued
  std::chrono::steady_clock::time_point accepted;  // when the request reached the worker

  // Filled by the engine:
  Reply reply;
  long tokens_forwarded = 0;
  long long first_token_us = -1;  // from `accepted`
};

struct EngineLimits {
  std::chrono::milliseconds heartbeat{5000};      // a `: ping` after this long without a write
  std::chrono::milliseconds reader_stall{30000};  // output pending, none taken this long: cancel
  size_t max_pending_bytes = 256 * 1024;          // output a slow reader may leave unread
  long max_connections = 0;                       // to the API; 0: no limit
};

struct EngineStats {
  long connections_opened = 0;  // new connections to the API, over the process's life
  long retries = 0;
};

class UpstreamEngine {
 public:
  using Finished = std::function<void(std::unique_ptr<ReplyStream>)>;

  UpstreamEngine(ClaudeConfig config, Finished on_finished, EngineLimits limits = {});
  // The limits for a worker of `stream_capacity`: at most api_connections() to the API.
  static EngineLimits limits_for(const ClaudeConfig& config, int stream_capacity);
  // Connections to the API a worker of `stream_capacity` may open: over HTTPS (HTTP/2, about
  // 100 streams a connection) enough for the capacity and a few to spare; over plain HTTP
  // (one stream a connection: only local simulators) one per stream.
  static long api_connections(const std::string& base_url, long stream_capacity);
  ~UpstreamEngine();
  UpstreamEngine(const UpstreamEngine&) = delete;
  UpstreamEngine& operator=(const UpstreamEngine&) = delete;

  // Starts the event thread; "" or why it could not.
  std::string start();
  // Any thread. The engine owns the stream until it hands it to on_finished.
  void submit(std::unique_ptr<ReplyStream> stream);
  // GET /v1/models through the engine (the startup check): warms the connection and the CA
  // store the streams will use. Any thread but the event thread.
  KeyCheck check_api_key(std::chrono::seconds timeout);
  // Ends every stream now, and any submitted later, as cancelled for `why`.
  void cancel_all(CancelReason why);
  // Streams submitted and not yet handed to on_finished.
  int active() const { return active_.load(); }
  EngineStats stats() const;
  // Ends the event thread. Call when active() is 0.
  void stop();

  struct Transfer;  // one stream's upstream state; defined in upstream_engine.cc

 private:
  void run();
  void post(std::function<void()> command);
  void run_inbox();
  void dispatch(uint64_t tag, uint32_t events);
  void adopt(std::unique_ptr<ReplyStream> stream);
  void set_trust(CURL* easy) const;
  void start_attempt(Transfer& transfer);
  void start_probe(std::promise<KeyCheck>* result, std::chrono::seconds timeout);
  void read_completions();
  void end_attempt(Transfer& transfer);
  void cancel(Transfer& transfer, CancelReason why);
  void finish(Transfer& transfer);
  void hand_off(Transfer& transfer);
  void hand_off_finished();
  void tick();
  bool forward(Transfer& transfer, std::string_view text);
  void write_downstream(Transfer& transfer);
  void watch_writable(Transfer& transfer, bool on);
  int next_timeout_ms() const;

 public:  // for the C callbacks in upstream_engine.cc
  void on_socket(curl_socket_t socket, int what, void* registered);
  void on_timer(long timeout_ms);

 private:
  const ClaudeConfig config_;
  const Finished on_finished_;
  const EngineLimits limits_;
  std::string url_, probe_url_;

  // Owned by the event thread once started.
  int epoll_fd_ = -1, wake_fd_ = -1;
  CURLM* multi_ = nullptr;
  CURLSH* share_ = nullptr;
  curl_slist* headers_ = nullptr;
  curl_slist* probe_headers_ = nullptr;
  std::unordered_map<Transfer*, std::unique_ptr<Transfer>> transfers_;
  std::vector<Transfer*> finished_;
  std::optional<std::chrono::steady_clock::time_point> curl_deadline_;
  std::chrono::steady_clock::time_point next_tick_;
  CancelReason refuse_new_ = CancelReason::kNone;
  bool quit_ = false;

  std::thread thread_;
  std::mutex inbox_mu_;
  std::vector<std::function<void()>> inbox_;  // guarded by inbox_mu_
  std::atomic<int> active_{0};
  std::atomic<long> connections_opened_{0}, retries_{0};
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_UPSTREAM_ENGINE_H_
