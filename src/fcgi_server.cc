// FastCGI socket setup, the acceptor, request threads, signal-driven shutdown and draining.
#include "resume_chat/fcgi_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "resume_chat/fcgi_arrival.h"
#include "resume_chat/log.h"

namespace resume_chat {
namespace {

constexpr int kBacklog = 1024;
// nginx sends a request at once: a connection whose request is not in this long after it
// was accepted is closed, and a body still arriving then is cut off (ReadDeadlines).
constexpr std::chrono::seconds kRequestArrivalTimeout{5};

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

int listen_unix(const std::string& path, std::string& error) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    error = "FCGI_SOCKET path is too long for a unix socket: " + path;
    return -1;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno_text("socket");
    return -1;
  }
  unlink(path.c_str());
  // nginx runs as another user: the socket must be group-writable, and the umask decides.
  mode_t old_mask = umask(0007);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  umask(old_mask);
  if (rc != 0 || ::listen(fd, kBacklog) != 0) {
    error = errno_text("cannot listen on FCGI_SOCKET " + path);
    close(fd);
    return -1;
  }
  return fd;
}

int listen_tcp(const std::string& spec, std::string& error) {
  size_t colon = spec.rfind(':');
  std::string host = spec.substr(0, colon), port = spec.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found) != 0) {
    error = "FCGI_SOCKET is not a usable host:port: " + spec;
    return -1;
  }
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int on = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (fd < 0 || bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, kBacklog) != 0) {
    error = errno_text("cannot listen on FCGI_SOCKET " + spec);
    if (fd >= 0) close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  return fd;
}

// Hands accepted connections to request threads, the most recently idle first. Woken in
// FIFO order, a page load would run on the coldest thread, its stack and malloc arena out
// of cache.
class Dispatcher {
 public:
  // Acceptor thread.
  void give(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.empty()) {
      backlog_.push_back(fd);
      return;
    }
    Waiter* next = idle_.back();
    idle_.pop_back();
    next->fd = fd;
    next->ready.notify_one();
  }

  // Request threads: the next connection, or -1 once closed and drained.
  int take() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!backlog_.empty()) {
      int fd = backlog_.front();
      backlog_.pop_front();
      return fd;
    }
    if (closed_) return -1;
    Waiter me;
    idle_.push_back(&me);
    me.ready.wait(lock, [&] { return me.fd >= 0 || closed_; });
    if (me.fd < 0) idle_.erase(std::find(idle_.begin(), idle_.end(), &me));
    return me.fd;
  }

  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    for (Waiter* waiter : idle_) waiter->ready.notify_one();
  }

 private:
  struct Waiter {
    std::condition_variable ready;
    int fd = -1;
  };
  std::mutex mu_;
  std::vector<Waiter*> idle_;  // guarded by mu_; the most recently idle last
  std::deque<int> backlog_;    // guarded by mu_
  bool closed_ = false;        // guarded by mu_
};

bool is_inet(int fd) {
  sockaddr_storage addr{};
  socklen_t length = sizeof(addr);
  return getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0 &&
         (addr.ss_family == AF_INET || addr.ss_family == AF_INET6);
}

// libfcgi's FCGX_IsCGI asks the same once per process and remembers the answer.
bool is_listening_socket(int fd) {
  int listening = 0;
  socklen_t length = sizeof(listening);
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0;
}

// An IPv4 or IPv6 address as 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), so a
// peer of a dual-stack listener compares equal however it is written.
using Address = std::array<unsigned char, 16>;

std::optional<Address> address_of(const sockaddr_storage& addr) {
  Address out{};
  if (addr.ss_family == AF_INET) {
    out[10] = out[11] = 0xFF;
    std::memcpy(&out[12], &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, 4);
    return out;
  }
  if (addr.ss_family == AF_INET6) {
    std::memcpy(out.data(), &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, 16);
    return out;
  }
  return std::nullopt;
}

std::optional<Address> parse_address(const std::string& text) {
  sockaddr_storage addr{};
  if (inet_pton(AF_INET, text.c_str(), &reinterpret_cast<sockaddr_in&>(addr).sin_addr) == 1) {
    addr.ss_family = AF_INET;
  } else if (inet_pton(AF_INET6, text.c_str(), &reinterpret_cast<sockaddr_in6&>(addr).sin6_addr) == 1) {
    addr.ss_family = AF_INET6;
  } else {
    return std::nullopt;
  }
  return address_of(addr);
}

bool is_loopback(const Address& address) {
  static const Address kLoopback6 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const Address kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  const bool v4 = std::equal(address.begin(), address.begin() + 12, kMappedPrefix.begin());
  return address == kLoopback6 || (v4 && address[12] == 127);
}

// The address a listening socket is bound to when other machines can reach it; "" for a
// unix socket or a loopback address.
std::string reachable_from_outside(int fd) {
  sockaddr_storage addr{};
  socklen_t length = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) return "";
  auto address = address_of(addr);
  if (!address || is_loopback(*address)) return "";
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in&>(addr).sin_addr, text, sizeof(text));
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6&>(addr).sin6_addr, text, sizeof(text));
  }
  return text;
}

using Clock = std::chrono::steady_clock;

// The one deadline for reading a request whose body was still arriving when the acceptor
// handed it on (its arrival deadline). Past it the acceptor shuts the connection's reading
// side: libfcgi's blocked read sees end-of-file, the body is incomplete, and the request
// thread answers and moves on. A timeout per read would let a peer that sends a byte every
// few seconds hold a thread for as long as it likes. Each entry holds a duplicate of the
// connection's descriptor, so a shutdown reaches that socket even if the request thread's
// descriptor was closed (libfcgi closes it on a malformed request) and its number reused.
class ReadDeadlines {
 public:
  ~ReadDeadlines() {
    for (const auto& [fd, entry] : deadlines_) close(entry.duplicate);
  }
  void arm(int fd, Clock::time_point deadline) {
    const int duplicate = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (duplicate < 0) {  // out of descriptors: end its reading now rather than never
      shutdown(fd, SHUT_RD);
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, fresh] = deadlines_.try_emplace(fd, Entry{duplicate, deadline});
    if (!fresh) {  // a stale entry of a closed connection that had this number
      close(it->second.duplicate);
      it->second = Entry{duplicate, deadline};
    }
  }
  // The request thread, while `fd` is still its connection: its request has been read.
  void disarm(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = deadlines_.find(fd);
    if (it == deadlines_.end()) return;
    close(it->second.duplicate);
    deadlines_.erase(it);
  }
  // Ends the reading of each connection past its deadline; whether any deadline is left.
  bool enforce(Clock::time_point now) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = deadlines_.begin(); it != deadlines_.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      shutdown(it->second.duplicate, SHUT_RD);
      close(it->second.duplicate);
      it = deadlines_.erase(it);
    }
    return !deadlines_.empty();
  }

 private:
  struct Entry {
    int duplicate;
    Clock::time_point deadline;
  };
  std::mutex mu_;
  std::map<int, Entry> deadlines_;  // by the request thread's descriptor; guarded by mu_
};

// Accepts connections and holds each until its whole request has arrived (fcgi_arrival.h),
// so a request thread never waits on a peer: a silent or slow one costs an entry here until
// kRequestArrivalTimeout, then it is closed. Held connections are edge-triggered: their
// bytes are only peeked, so level-triggered they would be reported again on every wait (a
// core spent on four half-requests); edge-triggered, only new bytes wake this thread. Out of
// file descriptors, the listener is left alone for a growing pause instead of re-firing.
//
// Its loop and the engine's (claude_engine.cc) each own an epoll set woken by an eventfd,
// on purpose not one shared helper: what they share is four system calls, while what they
// watch and how differ in every other way (here plain descriptors, edge-triggered, keyed by
// fd number; there tagged pointers and curl's sockets, level-triggered, with curl's timer),
// and a helper general enough for both would be longer than the code it replaced.
class Acceptor {
 public:
  Acceptor(int listen_fd, Dispatcher& dispatcher, ReadDeadlines& deadlines,
           std::vector<Address> web_servers)
      : listen_fd_(listen_fd), dispatcher_(dispatcher), deadlines_(deadlines),
        web_servers_(std::move(web_servers)) {}
  ~Acceptor() {
    stop();
    for (const auto& [fd, deadline] : waiting_) close(fd);
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  bool start() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) return false;
    fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
    if (!watch(listen_fd_, EPOLLIN) || !watch(wake_fd_, EPOLLIN)) return false;
    thread_ = std::thread([this] { run(); });
    return true;
  }

  // Stops accepting after taking every connection already queued on the listening socket,
  // and returns once each connection held has been handed on or dropped. The listening
  // socket is left to the caller; read deadlines are enforced until stop().
  void drain() {
    std::unique_lock<std::mutex> lock(mu_);
    draining_ = true;
    poke();
    drained_.wait(lock, [this] { return drained_flag_; });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    poke();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void poke() {
    const uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof(one));
    (void)ignored;
  }

  bool watch(int fd, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0;
  }

  // Held connections and read deadlines are checked four times a second; otherwise this
  // thread sleeps until something arrives (or a paused listener may be tried again).
  int wait_ms() const {
    int wait = waiting_.empty() && !armed_ ? -1 : 250;
    if (paused_) {
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(resume_at_ - Clock::now());
      int pause = static_cast<int>(std::max<long long>(1, until.count() + 1));
      wait = wait < 0 ? pause : std::min(wait, pause);
    }
    return wait;
  }

  void run() {
    epoll_event events[64];
    for (;;) {
      int ready = epoll_wait(epoll_fd_, events, 64, wait_ms());
      for (int i = 0; i < ready; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd_) {
          uint64_t count;
          ssize_t ignored = read(wake_fd_, &count, sizeof(count));
          (void)ignored;
        } else if (fd == listen_fd_) {
          accept_all();
        } else {
          check(fd);
        }
      }
      const auto now = Clock::now();
      drop_expired(now);
      armed_ = deadlines_.enforce(now);
      bool draining, stopping;
      {
        std::lock_guard<std::mutex> lock(mu_);
        draining = draining_;
        stopping = stopping_;
      }
      if (draining && !listener_done_) {
        finish_listening();
      } else if (paused_ && !listener_done_ && now >= resume_at_) {
        paused_ = false;
        watch(listen_fd_, EPOLLIN);  // level-triggered: fires at once if connections wait
      }
      if (listener_done_ && waiting_.empty()) {
        std::lock_guard<std::mutex> lock(mu_);
        drained_flag_ = true;
        drained_.notify_all();
      }
      if (stopping) return;
    }
  }

  // What is queued on the listening socket now was sent by nginx: it is taken and served,
  // never reset (as shutdown() or a close with a queue would).
  void finish_listening() {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
    accept_all();
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
    paused_ = false;
    listener_done_ = true;
  }

  void accept_all() {
    for (;;) {
      sockaddr_storage peer{};
      socklen_t length = sizeof(peer);
      int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &length,
                       SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) pause_accepting();
        return;  // EAGAIN: all taken; anything else: the next event retries
      }
      if (backoff_.count() > 0) {
        log_event("info", "accept: file descriptors available again, accepting");
        backoff_ = std::chrono::milliseconds(0);
      }
      if (!from_web_server(peer)) {
        close(fd);
        continue;
      }
      int on = 1;
      if (is_inet(fd)) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));  // tokens go out at once
      waiting_[fd] = Clock::now() + kRequestArrivalTimeout;
      if (!check(fd) && !watch(fd, EPOLLIN | EPOLLRDHUP | EPOLLET)) {
        waiting_.erase(fd);
        close(fd);
      }
    }
  }

  // The connections the kernel queues meanwhile wait there (nginx's connect succeeded).
  void pause_accepting() {
    if (paused_) return;
    if (backoff_.count() == 0) {
      log_event("error", "accept: out of file descriptors; raise the limit or lower "
                         "STREAM_CAPACITY (pausing accepts, retrying with back-off)");
    }
    backoff_ = std::min(std::max(backoff_ * 2, std::chrono::milliseconds(100)),
                        std::chrono::milliseconds(2000));
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
    paused_ = true;
    resume_at_ = Clock::now() + backoff_;
  }

  // FCGI_WEB_SERVER_ADDRS: when set, only these peers are served (unix peers always).
  bool from_web_server(const sockaddr_storage& peer) {
    if (web_servers_.empty()) return true;
    auto address = address_of(peer);
    if (!address) return true;
    if (std::find(web_servers_.begin(), web_servers_.end(), *address) != web_servers_.end()) {
      return true;
    }
    const auto now = Clock::now();
    if (now >= next_refusal_log_) {  // at most one line per 10 s, whoever knocks
      char text[INET6_ADDRSTRLEN] = "";
      inet_ntop(AF_INET6, address->data(), text, sizeof(text));
      LogLine("warning").add("msg", "connection refused: peer not in FCGI_WEB_SERVER_ADDRS")
          .add("peer", text).emit();
      next_refusal_log_ = now + std::chrono::seconds(10);
    }
    return false;
  }

  // Hands the connection on once its request is in; true when it left `waiting_`.
  bool check(int fd) {
    if (waiting_.count(fd) == 0) return false;  // a stale event: already handed on or dropped
    ssize_t n = recv(fd, peek_, sizeof(peek_), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
    const std::string_view buffered(peek_, n > 0 ? static_cast<size_t>(n) : 0);
    Arrival arrival = n > 0 ? fcgi_arrival(buffered) : Arrival::kInvalid;  // closed, or an error
    if (arrival == Arrival::kPartial && static_cast<size_t>(n) < sizeof(peek_)) return false;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    const Clock::time_point deadline = waiting_[fd];
    waiting_.erase(fd);
    if (arrival == Arrival::kInvalid) {
      close(fd);
      return true;
    }
    // Part of the body is still on its way: the request thread reads it by the same deadline.
    if (fcgi_arrival(buffered, SIZE_MAX) != Arrival::kComplete) {
      deadlines_.arm(fd, deadline);
      armed_ = true;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    dispatcher_.give(fd);
    return true;
  }

  void drop_expired(Clock::time_point now) {
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
      close(it->first);
      it = waiting_.erase(it);
    }
  }

  const int listen_fd_;
  Dispatcher& dispatcher_;
  ReadDeadlines& deadlines_;
  const std::vector<Address> web_servers_;
  int epoll_fd_ = -1, wake_fd_ = -1;
  std::map<int, Clock::time_point> waiting_;  // connections whose request is not in yet
  bool armed_ = false;                        // read deadlines are pending
  bool paused_ = false, listener_done_ = false;
  Clock::time_point resume_at_, next_refusal_log_;
  std::chrono::milliseconds backoff_{0};
  char peek_[65536];
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable drained_;
  bool draining_ = false, stopping_ = false, drained_flag_ = false;  // guarded by mu_
};

// libfcgi reads the request (BEGIN_REQUEST, PARAMS) from a connection it believes it kept
// from a previous request; its own accept path would be entered only on a failure, and
// with no listening socket (-1) it fails at once. The read cannot wait: the request is in.
bool read_request(FCGX_Request& request, int fd) {
  request.ipcFd = fd;
  request.keepConnection = 1;
  if (FCGX_Accept_r(&request) != 0) return false;  // libfcgi has closed fd
  // libfcgi takes FCGI_KEEP_CONN from the peer (nginx's fastcgi_keep_conn on) and would
  // then leave the connection open at FCGX_Finish_r, where this thread forgets it for the
  // next one: a descriptor lost per request. Every connection carries one request.
  request.keepConnection = 0;
  return true;
}

void serve_thread(Dispatcher& dispatcher, ReadDeadlines& deadlines,
                  const std::function<void(FcgiExchange&)>& handler) {
  FCGX_Request request;
  FCGX_InitRequest(&request, -1, 0);
  for (int connection; (connection = dispatcher.take()) >= 0;) {
    // On failure libfcgi has closed the connection; its number may be another's by now, so
    // its deadline entry (if any) is left to expire.
    if (!read_request(request, connection)) continue;
    {
      FcgiExchange exchange(request, [&deadlines, connection] { deadlines.disarm(connection); });
      handler(exchange);
    }
    deadlines.disarm(connection);
    FCGX_Finish_r(&request);
  }
  FCGX_Free(&request, 1);
}

}  // namespace

void block_termination_signals() {
  sigset_t set = termination_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

FcgiServer::~FcgiServer() { stop_listening(); }

std::string FcgiServer::listen(const std::string& spec, const std::vector<std::string>& web_servers) {
  web_servers_.clear();
  for (const std::string& text : web_servers) {
    auto address = parse_address(text);
    if (!address) return "FCGI_WEB_SERVER_ADDRS: '" + text + "' is not an IP address";
    web_servers_.push_back(*address);
  }
  if (is_listening_socket(0)) {  // handed to us (spawn-fcgi, systemd)
    fd_ = 0;
    endpoint_ = "inherited socket on fd 0";
  } else {
    std::string error;
    bool is_unix = spec.find('/') != std::string::npos || spec.find(':') == std::string::npos;
    fd_ = is_unix ? listen_unix(spec, error) : listen_tcp(spec, error);
    if (fd_ < 0) return error;
    owns_fd_ = true;
    endpoint_ = spec;
    if (is_unix) unix_path_ = spec;
  }
  // FastCGI has no authentication: whoever reaches the socket speaks as nginx (any
  // DOCUMENT_URI, REMOTE_ADDR, REQUEST_ID it likes, past nginx's limits).
  const std::string outside = reachable_from_outside(fd_);
  if (!outside.empty() && web_servers_.empty()) {
    stop_listening();
    return "FCGI_SOCKET (" + endpoint_ + ") listens on " + outside + ", which other machines "
           "can reach, and FastCGI has no authentication: listen on 127.0.0.1:PORT or a unix "
           "socket, or set FCGI_WEB_SERVER_ADDRS to the addresses of your nginx (only they are "
           "then served)";
  }
  return "";
}

// An owned socket is closed (its path unlinked first, so nginx's next connect is refused at
// once and goes to another worker); an inherited one is only let go of, never shut down:
// other processes may share it.
void FcgiServer::stop_listening() {
  if (!unix_path_.empty()) unlink(unix_path_.c_str());
  unix_path_.clear();
  if (fd_ < 0) return;
  if (owns_fd_) {
    close(fd_);
  } else {
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd >= 0) {
      dup2(null_fd, fd_);  // fd 0 stays taken: nothing else is opened as stdin by mistake
      close(null_fd);
    }
  }
  fd_ = -1;
  owns_fd_ = false;
}

void FcgiServer::serve(int threads, const std::function<void(FcgiExchange&)>& handler,
                       const std::function<void()>& on_stop) {
  Dispatcher dispatcher;
  ReadDeadlines deadlines;
  Acceptor acceptor(fd_, dispatcher, deadlines, web_servers_);
  if (!acceptor.start()) {
    log_event("error", std::string("cannot start accepting: ") + std::strerror(errno));
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back(serve_thread, std::ref(dispatcher), std::ref(deadlines), std::cref(handler));
  }

  sigset_t set = termination_signals();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      log_event("info", "SIGHUP ignored: restart the worker to reload configuration");
      continue;
    }
    log_event("info", std::string("received ") + strsignal(sig) + ", draining");
    break;
  }
  if (!unix_path_.empty()) unlink(unix_path_.c_str());  // no new connection reaches this one
  acceptor.drain();  // what nginx already sent is served, whole requests only
  stop_listening();
  if (on_stop) on_stop();
  dispatcher.close();
  for (auto& thread : pool) thread.join();
  acceptor.stop();  // (it enforced the read deadlines of the last requests)
}

}  // namespace resume_chat
