// The event thread: epoll + libcurl multi socket API, streams' FastCGI output, timers.
// Pattern: curl's docs/examples/ephiperfifo.c (socket callback registers curl's sockets in
// epoll; timer callback sets a deadline; curl_multi_socket_action on events and deadlines).
// Why its epoll + eventfd is not shared with the acceptor's loop: fcgi_server.cc, Acceptor.
#include "resume_chat/claude_engine.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <random>

#include "resume_chat/chat_events.h"
#include "resume_chat/log.h"

namespace resume_chat {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kTick{200};
constexpr int kMaxEvents = 256;
// epoll tags: 0 is the wake-up eventfd, bit 63 marks one of curl's sockets (fd in the low
// bits), anything else is a Transfer* watching its FastCGI connection. Curl's sockets are
// tagged by number, not by pointer, so an event for a socket curl closed earlier in the
// same batch is harmless (curl ignores sockets it does not know).
constexpr uint64_t kWakeTag = 0;
constexpr uint64_t kCurlTag = uint64_t{1} << 63;

struct CurlEasyCleanup {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyCleanup>;

curl_slist* make_list(const std::vector<std::string>& lines) {
  curl_slist* list = nullptr;
  for (const auto& line : lines) list = curl_slist_append(list, line.c_str());
  return list;
}

double jitter() {
  thread_local std::mt19937 random(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(random);
}

long long micros_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

}  // namespace

std::string ReplyStream::event_for(std::string_view text) const { return token_event(text); }

struct ClaudeEngine::Transfer {
  // kBackoff and kActive: the API's part; kDraining: its text still being written;
  // kConcluding: waiting for the owner's conclude(); kClosing: the last event and the
  // FastCGI end being written, then the linger; kClosed: handed back this turn.
  enum class Phase { kBackoff, kActive, kDraining, kConcluding, kClosing, kClosed };

  std::unique_ptr<ReplyStream> stream;     // null for a key-check probe
  std::promise<KeyCheck>* probe = nullptr;
  CurlEasy easy;
  std::unique_ptr<ApiAttempt> attempt;
  Phase phase = Phase::kActive;
  CancelReason cancelled = CancelReason::kNone;
  bool timed_out = false;
  bool late_told = false;
  bool half_closed = false;
  bool abandon_output = false;  // a reader too slow: what it has not taken is never written
  uint32_t watched = 0;  // the epoll events asked for on the downstream connection
  int retries = 0;
  Clock::time_point last_byte, last_write, last_output_progress, retry_at, phase_since;
  // Where each forwarded piece of text ends, in the connection's bytes and in reply.text:
  // the text has reached the reader once the connection has written past its bytes.
  std::deque<std::pair<uint64_t, size_t>> text_marks;
  char error[CURL_ERROR_SIZE] = {0};

  void enter(Phase next) {
    phase = next;
    phase_since = Clock::now();
  }
};

namespace {

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<ClaudeEngine::Transfer*>(user);
  t->last_byte = Clock::now();
  if (t->attempt) t->attempt->on_header_line(std::string_view(data, size * count));
  return size * count;
}

// Nothing may unwind through libcurl's C frames: a failure here aborts the transfer, and
// the stream ends with an error event and its partial reply stored.
size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<ClaudeEngine::Transfer*>(user);
  t->last_byte = Clock::now();
  try {
    if (!t->attempt || t->attempt->on_body(std::string_view(data, size * count))) {
      return size * count;
    }
  } catch (...) {
    t->cancelled = CancelReason::kInternalError;
  }
  return CURL_WRITEFUNC_ERROR;
}

int on_socket_cb(CURL*, curl_socket_t socket, int what, void* engine, void* registered) {
  static_cast<ClaudeEngine*>(engine)->on_socket(socket, what, registered);
  return 0;
}

int on_timer_cb(CURLM*, long timeout_ms, void* engine) {
  static_cast<ClaudeEngine*>(engine)->on_timer(timeout_ms);
  return 0;
}

}  // namespace

ClaudeEngine::ClaudeEngine(ClaudeConfig config, EngineLimits limits)
    : config_(std::move(config)),
      limits_(limits),
      url_(config_.base_url + "/v1/messages"),
      probe_url_(config_.base_url + "/v1/models?limit=1") {}

long ClaudeEngine::api_connections(const std::string& base_url, long stream_capacity) {
  return base_url.rfind("https://", 0) == 0 ? stream_capacity / 100 + 6 : stream_capacity;
}

EngineLimits ClaudeEngine::limits_for(const ClaudeConfig& config, int stream_capacity) {
  EngineLimits limits;
  if (config.base_url.rfind("https://", 0) == 0) {
    limits.max_connections = api_connections(config.base_url, stream_capacity);
  }
  return limits;
}

ClaudeEngine::~ClaudeEngine() {
  stop();
  for (auto& [raw, transfer] : transfers_) {
    if (transfer->easy) curl_multi_remove_handle(multi_, transfer->easy.get());
  }
  transfers_.clear();  // easy handles are cleaned up before the multi handle
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
  if (share_ != nullptr) curl_share_cleanup(share_);
  curl_slist_free_all(headers_);
  curl_slist_free_all(probe_headers_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

Status ClaudeEngine::start() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  multi_ = curl_multi_init();
  share_ = curl_share_init();
  if (epoll_fd_ < 0 || wake_fd_ < 0 || multi_ == nullptr || share_ == nullptr) {
    return Status::Error(std::string("cannot start the upstream engine: ") + std::strerror(errno));
  }
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = kWakeTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0) {
    return Status::Error(std::string("cannot start the upstream engine: epoll_ctl: ") +
                         std::strerror(errno));
  }
  // One thread uses these handles, so the share needs no lock callbacks.
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  if (limits_.max_connections > 0) {
    // Past it, a new stream waits for a free HTTP/2 stream slot on an open connection
    // instead of opening a connection of its own.
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, limits_.max_connections);
  }
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, on_socket_cb);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, on_timer_cb);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  headers_ = make_list(api_header_lines(config_));
  probe_headers_ = make_list({"x-api-key: " + config_.api_key, "anthropic-version: 2023-06-01"});
  thread_ = std::thread([this] { run(); });
  return Status::Ok();
}

void ClaudeEngine::stop() {
  if (!thread_.joinable()) return;
  post([this] { quit_ = true; });
  thread_.join();
}

void ClaudeEngine::wake() {
  const uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof(one));
  (void)ignored;  // a full counter still wakes the thread
}

void ClaudeEngine::post(std::function<void()> command) {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    inbox_.commands.push_back(std::move(command));
  }
  wake();
}

void ClaudeEngine::submit(std::unique_ptr<ReplyStream> stream) {
  ++active_;
  stream->id = next_id_++;
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    inbox_.submitted.push_back(std::move(stream));
  }
  wake();
}

void ClaudeEngine::set_hooks(EngineHooks hooks) {
  post([this, hooks = std::move(hooks)] { hooks_ = hooks; });
}

void ClaudeEngine::conclude(uint64_t stream_id, std::string last_event) {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    inbox_.concluded.emplace_back(stream_id, std::move(last_event));
  }
  wake();
}

void ClaudeEngine::cancel_all(CancelReason why) {
  post([this, why] {
    refuse_new_ = why;
    for (auto& [raw, transfer] : transfers_) {
      if (transfer->stream) cancel(*transfer, why);
    }
  });
}

EngineStats ClaudeEngine::stats() const { return {connections_opened_.load(), retries_.load()}; }

KeyCheck ClaudeEngine::check_api_key(std::chrono::seconds timeout) {
  std::promise<KeyCheck> result;
  std::future<KeyCheck> answer = result.get_future();
  post([this, &result, timeout] { start_probe(&result, timeout); });
  return answer.get();  // bounded by the probe's own CURLOPT_TIMEOUT
}

void ClaudeEngine::run() {
  std::vector<epoll_event> events(kMaxEvents);
  while (!quit_) {
    try {
      run_once(events);
    } catch (const std::exception& e) {  // bad_alloc: log, keep serving the others
      log_event("error", std::string("upstream engine: ") + e.what());
    } catch (...) {
      log_event("error", "upstream engine: unknown exception");
    }
  }
}

void ClaudeEngine::run_once(std::vector<epoll_event>& events) {
  int ready = epoll_wait(epoll_fd_, events.data(), kMaxEvents, next_timeout_ms());
  for (int i = 0; i < ready; ++i) {
    try {
      dispatch(events[i].data.u64, events[i].events);
    } catch (const std::exception& e) {
      log_event("error", std::string("upstream engine: ") + e.what());
    }
  }
  int running = 0;
  if (curl_deadline_ && Clock::now() >= *curl_deadline_) {
    curl_deadline_.reset();
    curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  }
  read_completions();
  if (Clock::now() >= next_tick_) tick();
  release_closed();
}

int ClaudeEngine::next_timeout_ms() const {
  std::optional<Clock::time_point> wake = curl_deadline_;
  if (!transfers_.empty() && (!wake || next_tick_ < *wake)) wake = next_tick_;
  if (!wake) return -1;
  auto left = std::chrono::duration_cast<milliseconds>(*wake - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left + 1);
}

void ClaudeEngine::dispatch(uint64_t tag, uint32_t events) {
  if (tag == kWakeTag) {
    uint64_t count = 0;
    ssize_t ignored = read(wake_fd_, &count, sizeof(count));
    (void)ignored;
    run_inbox();
    return;
  }
  if (tag & kCurlTag) {
    int flags = 0;
    if (events & EPOLLIN) flags |= CURL_CSELECT_IN;
    if (events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
    if (events & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
    int running = 0;
    curl_multi_socket_action(multi_, static_cast<curl_socket_t>(tag & ~kCurlTag), flags, &running);
    return;
  }
  Transfer& t = *reinterpret_cast<Transfer*>(tag);
  switch (t.phase) {
    case Transfer::Phase::kClosed:
      return;
    case Transfer::Phase::kClosing:
      if (t.half_closed) {  // the linger: read until nginx closes its end
        if (t.stream->downstream.read_to_end()) close_now(t);
      } else if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        close_now(t);  // nginx left before the last event: nothing more to say
      } else if (events & EPOLLOUT) {
        write_downstream(t);
      }
      return;
    case Transfer::Phase::kConcluding:
      // Nothing more is written until conclude(); stop watching a connection that is gone.
      if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        t.stream->downstream.peer_closed();
        watch(t, 0);
      } else if (events & EPOLLOUT) {
        write_downstream(t);
      }
      return;
    default:
      if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        cancel(t, CancelReason::kClientGone);
      } else if (events & EPOLLOUT) {
        write_downstream(t);
      }
  }
}

void ClaudeEngine::run_inbox() {
  Inbox work;
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    std::swap(work, inbox_);
  }
  // Commands first: hooks set and cancel_all said before a stream in the same batch is adopted.
  for (auto& command : work.commands) command();
  for (auto& stream : work.submitted) {
    try {
      adopt(std::move(stream));
    } catch (const std::exception& e) {  // not adopted: the owner still gets it back
      log_event("error", std::string("upstream engine: cannot adopt a stream: ") + e.what());
      if (stream) {
        --active_;
        stream->reply.status = ReplyStatus::kCancelled;
        stream->reply.cancel_reason = CancelReason::kInternalError;
        hooks_.closed(std::move(stream));
      }
    }
  }
  for (auto& [id, last_event] : work.concluded) {
    auto found = by_id_.find(id);
    if (found != by_id_.end() && found->second->phase == Transfer::Phase::kConcluding) {
      start_closing(*found->second, last_event);
    }
  }
}

void ClaudeEngine::on_socket(curl_socket_t socket, int what, void* registered) {
  epoll_event event{};
  event.data.u64 = kCurlTag | static_cast<uint64_t>(socket);
  if (what == CURL_POLL_REMOVE) {
    if (registered != nullptr) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, socket, &event);
    curl_multi_assign(multi_, socket, nullptr);
    return;
  }
  event.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  if (registered != nullptr) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, socket, &event);
  } else {
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, socket, &event);
    curl_multi_assign(multi_, socket, this);  // any non-null pointer: "registered"
  }
}

void ClaudeEngine::on_timer(long timeout_ms) {
  if (timeout_ms < 0) {
    curl_deadline_.reset();
  } else {
    curl_deadline_ = Clock::now() + milliseconds(timeout_ms);
  }
}

void ClaudeEngine::adopt(std::unique_ptr<ReplyStream> stream) {
  auto owned = std::make_unique<Transfer>();
  Transfer& t = *owned;
  by_id_.emplace(stream->id, &t);
  t.stream = std::move(stream);
  t.enter(Transfer::Phase::kBackoff);  // not started: cancel() needs no transfer to abort
  t.last_write = t.last_output_progress = Clock::now();
  transfers_.emplace(&t, std::move(owned));
  epoll_event event{};
  event.events = EPOLLRDHUP;
  event.data.ptr = &t;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, t.stream->downstream.fd(), &event) != 0) {
    t.stream->downstream.peer_closed();
    cancel(t, CancelReason::kClientGone);
    return;
  }
  t.watched = EPOLLRDHUP;
  write_downstream(t);  // the head the chat route queued
  if (t.phase != Transfer::Phase::kBackoff) return;
  if (refuse_new_ != CancelReason::kNone) {
    cancel(t, refuse_new_);
    return;
  }
  start_attempt(t);
}

// One easy handle's settings, for a stream's attempt and for the key check alike. The CAs
// to trust: ANTHROPIC_CA_FILE, else the bundle libcurl was built with. No CA directory:
// libcurl caches a CA store per multi handle only when it comes from a file alone, and
// Debian's libcurl also sets /etc/ssl/certs as its CApath, which would have every new
// connection parse the whole bundle again.
bool ClaudeEngine::new_easy(Transfer& t, const std::string& url, curl_slist* headers,
                              long timeout_s) {
  t.easy.reset(curl_easy_init());
  t.error[0] = '\0';
  CURL* easy = t.easy.get();
  if (easy == nullptr) return false;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(easy, CURLOPT_SHARE, share_);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  if (!config_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, config_.ca_file.c_str());
  curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, timeout_s);
  return true;
}

void ClaudeEngine::start_attempt(Transfer& t) {
  t.attempt = std::make_unique<ApiAttempt>([this, &t](std::string_view text) {
    return forward(t, text);
  });
  t.enter(Transfer::Phase::kActive);
  t.timed_out = false;
  t.last_byte = Clock::now();
  if (!new_easy(t, url_, headers_, config_.total_timeout_s)) {
    t.attempt->classify("out of memory (curl_easy_init)", false, t.stream->reply);
    t.easy.reset();
    drain_rest(t);
    return;
  }
  CURL* easy = t.easy.get();
  const std::string& body = t.stream->api_body;
  curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);  // wait to multiplex rather than connect anew
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());  // not copied: lives in the stream
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, config_.connect_timeout_s);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  if (CURLMcode added = curl_multi_add_handle(multi_, easy); added != CURLM_OK) {
    t.attempt->classify(std::string("curl_multi_add_handle: ") + curl_multi_strerror(added), false,
                        t.stream->reply);
    t.easy.reset();
    t.attempt.reset();
    drain_rest(t);
  }
}

void ClaudeEngine::start_probe(std::promise<KeyCheck>* result, std::chrono::seconds timeout) {
  auto owned = std::make_unique<Transfer>();
  Transfer& t = *owned;
  t.probe = result;
  if (!new_easy(t, probe_url_, probe_headers_, static_cast<long>(timeout.count()))) {
    result->set_value({KeyStatus::kUnreachable, 0, "curl_easy_init failed"});
    return;
  }
  CURL* easy = t.easy.get();
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION,
                   +[](char*, size_t size, size_t count, void*) { return size * count; });
  if (CURLMcode added = curl_multi_add_handle(multi_, easy); added != CURLM_OK) {
    result->set_value({KeyStatus::kUnreachable, 0,
                       std::string("curl_multi_add_handle: ") + curl_multi_strerror(added)});
    return;
  }
  transfers_.emplace(&t, std::move(owned));
}

namespace {

KeyCheck key_check_result(CURL* easy, CURLcode code, const char* error) {
  KeyCheck check;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &check.http_status);
  if (code != CURLE_OK) {
    check.status = KeyStatus::kUnreachable;
    check.detail = error[0] != '\0' ? error : curl_easy_strerror(code);
  } else if (check.http_status == 200) {
    check.status = KeyStatus::kValid;
  } else if (check.http_status == 401 || check.http_status == 403) {
    check.status = KeyStatus::kInvalid;
  } else {
    check.detail = "HTTP " + std::to_string(check.http_status);
  }
  return check;
}

}  // namespace

void ClaudeEngine::read_completions() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    const CURLcode code = message->data.result;
    Transfer* t = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
    long connects = 0;
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
    connections_opened_ += connects;
    curl_multi_remove_handle(multi_, easy);
    if (t->probe != nullptr) {
      t->probe->set_value(key_check_result(easy, code, t->error));
      transfers_.erase(t);
      continue;
    }
    if (code == CURLE_OPERATION_TIMEDOUT && t->attempt && t->attempt->http_status() != 0) {
      t->timed_out = true;  // CURLOPT_TIMEOUT, the backstop on a whole reply
    }
    if (code != CURLE_OK && t->error[0] == '\0') {
      std::strncpy(t->error, curl_easy_strerror(code), CURL_ERROR_SIZE - 1);
    }
    end_attempt(*t);
  }
}

// The attempt's transfer has left the multi handle: decide between a retry and the end.
void ClaudeEngine::end_attempt(Transfer& t) {
  Reply& reply = t.stream->reply;
  t.attempt->classify(t.error, t.timed_out, reply);
  reply.retries = t.retries;
  if (t.cancelled != CancelReason::kNone) {
    reply.status = ReplyStatus::kCancelled;
    reply.cancel_reason = t.cancelled;
  }
  AttemptOutcome outcome{t.attempt->http_status(), t.cancelled != CancelReason::kNone};
  RetryStep step = next_retry(outcome, t.retries, config_.max_retries, t.attempt->hints(), jitter());
  t.easy.reset();
  t.attempt.reset();
  if (!step.retry) {
    drain_rest(t);
    return;
  }
  ++t.retries;
  ++retries_;
  t.enter(Transfer::Phase::kBackoff);
  t.retry_at = Clock::now() + milliseconds(step.delay_ms);
}

void ClaudeEngine::cancel(Transfer& t, CancelReason why) {
  if (why == CancelReason::kClientGone) {
    // Nothing more can reach the reader; the end of the stream is only bookkeeping.
    t.stream->downstream.peer_closed();
  }
  switch (t.phase) {
    case Transfer::Phase::kActive:
      t.cancelled = why;
      curl_multi_remove_handle(multi_, t.easy.get());  // aborts it (HTTP/2: RST_STREAM)
      end_attempt(t);
      break;
    case Transfer::Phase::kBackoff:
      t.cancelled = why;
      t.stream->reply.status = ReplyStatus::kCancelled;
      t.stream->reply.cancel_reason = why;
      drain_rest(t);
      break;
    case Transfer::Phase::kDraining:
      // The API has finished and a shutdown lets the rest be written (a stuck reader is
      // still ended by the stall timer).
      if (why == CancelReason::kShutdown) break;
      // The reader is gone or will not take the rest: why it did not get it all decides the
      // reply's outcome (reply_outcome.h), and a slow reader is not given more later than
      // what is stored as shown.
      if (t.stream->reply.cancel_reason == CancelReason::kNone) t.stream->reply.cancel_reason = why;
      t.abandon_output = why == CancelReason::kClientTooSlow;
      await_conclusion(t);
      break;
    default:  // the reply is over already
      break;
  }
}

// The API's part is over: what is still pending goes to the reader first.
void ClaudeEngine::drain_rest(Transfer& t) {
  t.enter(Transfer::Phase::kDraining);
  FcgiConnection& out = t.stream->downstream;
  if (out.gone() || out.pending() == 0) await_conclusion(t);
}

void ClaudeEngine::await_conclusion(Transfer& t) {
  t.enter(Transfer::Phase::kConcluding);
  watch(t, t.stream->downstream.gone() ? 0u : static_cast<uint32_t>(EPOLLRDHUP));
  try {
    hooks_.ended(*t.stream);
  } catch (const std::exception& e) {  // the owner could not take it: end the response anyway
    log_event("error", std::string("upstream engine: ended hook: ") + e.what());
    start_closing(t, "");
  }
}

void ClaudeEngine::start_closing(Transfer& t, const std::string& last_event) {
  t.enter(Transfer::Phase::kClosing);
  FcgiConnection& out = t.stream->downstream;
  if (out.gone() || t.abandon_output) {
    close_now(t);
    return;
  }
  out.queue(last_event);
  out.queue_end();
  write_downstream(t);
}

void ClaudeEngine::close_now(Transfer& t) {
  watch(t, 0);
  t.stream->downstream.close();
  t.enter(Transfer::Phase::kClosed);
  closed_.push_back(&t);
}

// After the turn's events: the closed streams go back to their owner. The count drops only
// after the hook, so whoever waits for active() == 0 never races a hook still running.
void ClaudeEngine::release_closed() {
  for (Transfer* t : closed_) {
    std::unique_ptr<ReplyStream> stream = std::move(t->stream);
    by_id_.erase(stream->id);
    transfers_.erase(t);
    try {
      hooks_.closed(std::move(stream));
    } catch (const std::exception& e) {
      log_event("error", std::string("upstream engine: closed hook: ") + e.what());
    }
    --active_;
  }
  closed_.clear();
}

// A piece of reply text from the API: to the reader at once. False stops the transfer.
bool ClaudeEngine::forward(Transfer& t, std::string_view text) {
  ReplyStream& s = *t.stream;
  if (s.downstream.gone()) {
    t.cancelled = CancelReason::kClientGone;
    return false;
  }
  if (s.downstream.pending() > limits_.max_pending_bytes) {
    t.cancelled = CancelReason::kClientTooSlow;
    return false;
  }
  std::string event = s.event_for(text);  // first: if it throws, nothing was shown or counted
  if (++s.tokens_forwarded == 1) s.first_token_us = micros_since(s.accepted);
  s.reply.text.append(text.data(), text.size());
  s.downstream.queue(event);
  t.text_marks.emplace_back(s.downstream.bytes_queued(), s.reply.text.size());
  t.last_write = Clock::now();
  write_downstream(t);
  return true;
}

void ClaudeEngine::write_downstream(Transfer& t) {
  FcgiConnection& out = t.stream->downstream;
  const size_t before = out.pending();
  FcgiConnection::Drain result = out.drain();
  if (out.pending() < before || result == FcgiConnection::Drain::kDone) {
    t.last_output_progress = Clock::now();
  }
  while (!t.text_marks.empty() && t.text_marks.front().first <= out.bytes_written()) {
    t.stream->text_written = t.text_marks.front().second;
    t.text_marks.pop_front();
  }
  const bool watching_read = t.phase == Transfer::Phase::kClosing;
  switch (result) {
    case FcgiConnection::Drain::kDone:
      if (t.phase == Transfer::Phase::kDraining) {
        await_conclusion(t);
      } else if (t.phase == Transfer::Phase::kClosing && !t.half_closed) {
        out.half_close();
        t.half_closed = true;
        t.phase_since = Clock::now();  // the linger starts
        if (out.read_to_end()) {
          close_now(t);
        } else {
          watch(t, EPOLLIN | EPOLLRDHUP);
        }
      } else if (!watching_read) {
        watch(t, EPOLLRDHUP);
      }
      break;
    case FcgiConnection::Drain::kBlocked:
      watch(t, EPOLLOUT | EPOLLRDHUP);
      break;
    case FcgiConnection::Drain::kGone:
      if (t.phase == Transfer::Phase::kDraining) {
        cancel(t, CancelReason::kClientGone);
      } else if (t.phase == Transfer::Phase::kClosing) {
        close_now(t);
      } else if (t.phase == Transfer::Phase::kBackoff) {
        cancel(t, CancelReason::kClientGone);
      } else if (t.phase == Transfer::Phase::kConcluding) {
        watch(t, 0);
      }  // active: the next forward() sees it and stops the transfer from its callback
      break;
  }
}

// The epoll events wanted on a stream's connection; 0 takes it out of the set (EPOLLHUP is
// reported whatever is asked, so a closed connection must not stay in it).
void ClaudeEngine::watch(Transfer& t, uint32_t events) {
  if (t.watched == events) return;
  const int fd = t.stream->downstream.fd();
  epoll_event event{};
  event.events = events;
  event.data.ptr = &t;
  int op = events == 0 ? EPOLL_CTL_DEL : t.watched == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (fd >= 0 && epoll_ctl(epoll_fd_, op, fd, &event) != 0 && op != EPOLL_CTL_DEL) {
    // Without its events the stream would hang: treat the reader as gone.
    t.stream->downstream.peer_closed();
    log_event("error", std::string("upstream engine: epoll_ctl: ") + std::strerror(errno));
  }
  t.watched = events;
}

void ClaudeEngine::tick() {
  const auto now = Clock::now();
  next_tick_ = now + kTick;
  // Nothing below erases a transfer (closed ones wait in closed_), so the map can be walked
  // as it is.
  for (auto& [t, owned] : transfers_) {
    if (t->stream) tick_stream(*t, now);
  }
}

void ClaudeEngine::tick_stream(Transfer& t, Clock::time_point now) {
  FcgiConnection& out = t.stream->downstream;
  switch (t.phase) {
    case Transfer::Phase::kClosed:
      return;
    case Transfer::Phase::kClosing:
      if (now - t.phase_since >= (t.half_closed ? limits_.close_linger : limits_.last_write_stall)) {
        close_now(t);
      }
      return;
    case Transfer::Phase::kConcluding:
      if (out.gone() || t.abandon_output) return;
      if (!t.late_told && now - t.phase_since >= limits_.late_after) {
        t.late_told = true;
        out.queue(t.stream->late_event());
        t.last_write = now;
        write_downstream(t);
      } else if (now - t.last_write >= limits_.heartbeat) {
        out.queue(kPingComment);
        t.last_write = now;
        write_downstream(t);
      }
      return;
    default:
      break;
  }
  if (out.pending() > 0 && now - t.last_output_progress >= limits_.reader_stall) {
    cancel(t, CancelReason::kClientTooSlow);
    return;
  }
  if (t.phase == Transfer::Phase::kActive &&
      now - t.last_byte >= std::chrono::seconds(config_.idle_timeout_s)) {
    t.timed_out = true;
    curl_multi_remove_handle(multi_, t.easy.get());
    end_attempt(t);
    return;
  }
  if (t.phase == Transfer::Phase::kBackoff && now >= t.retry_at) {
    t.stream->reply = Reply{};
    t.stream->text_written = 0;
    t.text_marks.clear();
    start_attempt(t);
    return;
  }
  if (t.phase != Transfer::Phase::kDraining && now - t.last_write >= limits_.heartbeat) {
    out.queue(kPingComment);
    t.last_write = now;
    write_downstream(t);
  }
}

}  // namespace resume_chat
