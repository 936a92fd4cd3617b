// FastCGI socket setup, worker threads, signal-driven shutdown.
#include "resume_chat/fcgi_server.h"

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
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "resume_chat/fcgi_arrival.h"
#include "resume_chat/log.h"

namespace resume_chat {
namespace {

constexpr int kBacklog = 1024;
// nginx sends a request at once; a connection whose request is not in after this is closed.
constexpr std::chrono::seconds kRequestArrivalTimeout{5};
// A body larger than the acceptor's look (64 KB) may still be arriving: reads wait this long.
constexpr int kRequestReadTimeoutS = 5;

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

// Accepts connections and holds each until its whole request has arrived (fcgi_arrival.h),
// so a request thread never waits on a peer: a silent or slow one costs an entry here until
// kRequestArrivalTimeout, then it is closed.
class Acceptor {
 public:
  Acceptor(int listen_fd, Dispatcher& dispatcher) : listen_fd_(listen_fd), dispatcher_(dispatcher) {}
  ~Acceptor() {
    for (const auto& [fd, deadline] : waiting_) close(fd);
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  bool start() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) return false;
    fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
    watch(listen_fd_);
    watch(wake_fd_);
    thread_ = std::thread([this] { run(); });
    return true;
  }

  void stop() {
    const uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof(one));
    (void)ignored;
    if (thread_.joinable()) thread_.join();
  }

 private:
  using Clock = std::chrono::steady_clock;

  void watch(int fd) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }

  void run() {
    epoll_event events[64];
    for (;;) {
      int ready = epoll_wait(epoll_fd_, events, 64, waiting_.empty() ? -1 : 500);
      for (int i = 0; i < ready; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd_) return;
        if (fd == listen_fd_) {
          accept_all();
        } else {
          check(fd);
        }
      }
      drop_expired();
    }
  }

  void accept_all() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
          log_event("error", "accept: out of file descriptors; raise the limit or lower STREAM_CAPACITY");
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return;  // EAGAIN: all taken; anything else: the next event retries
      }
      int on = 1;
      if (is_inet(fd)) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));  // tokens go out at once
      waiting_[fd] = Clock::now() + kRequestArrivalTimeout;
      if (!check(fd)) watch(fd);
    }
  }

  // Hands the connection on once its request is in; true when it left `waiting_`.
  bool check(int fd) {
    ssize_t n = recv(fd, peek_, sizeof(peek_), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
    Arrival arrival = n > 0 ? fcgi_arrival(std::string_view(peek_, static_cast<size_t>(n)))
                            : Arrival::kInvalid;  // closed, or an error
    if (arrival == Arrival::kPartial && static_cast<size_t>(n) < sizeof(peek_)) return false;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    waiting_.erase(fd);
    if (arrival == Arrival::kInvalid) {
      close(fd);
    } else {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      dispatcher_.give(fd);
    }
    return true;
  }

  void drop_expired() {
    const auto now = Clock::now();
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
  int epoll_fd_ = -1, wake_fd_ = -1;
  std::map<int, Clock::time_point> waiting_;  // connections whose request is not in yet
  char peek_[65536];
  std::thread thread_;
};

// libfcgi reads the request (BEGIN_REQUEST, PARAMS) from a connection it believes it kept
// from a previous request; its own accept path would be entered only on a failure, and
// with no listening socket (-1) it fails at once. The read cannot wait: the request is in.
bool read_request(FCGX_Request& request, int fd) {
  timeval timeout{kRequestReadTimeoutS, 0};  // a body larger than the socket buffer streams in
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  request.ipcFd = fd;
  request.keepConnection = 1;
  return FCGX_Accept_r(&request) == 0;  // on failure libfcgi has closed fd
}

void serve_thread(Dispatcher& dispatcher, const std::function<void(Exchange&)>& handler) {
  FCGX_Request request;
  FCGX_InitRequest(&request, -1, 0);
  for (int connection; (connection = dispatcher.take()) >= 0;) {
    if (!read_request(request, connection)) continue;
    {
      Exchange exchange(request);
      handler(exchange);
    }
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

FcgiServer::~FcgiServer() {
  if (owns_fd_ && fd_ >= 0) close(fd_);
  if (!unix_path_.empty()) unlink(unix_path_.c_str());
}

std::string FcgiServer::listen(const std::string& spec) {
  if (!FCGX_IsCGI()) {  // fd 0 is a listening socket handed to us
    fd_ = 0;
    endpoint_ = "inherited socket on fd 0";
    return "";
  }
  std::string error;
  bool is_unix = spec.find('/') != std::string::npos || spec.find(':') == std::string::npos;
  fd_ = is_unix ? listen_unix(spec, error) : listen_tcp(spec, error);
  if (fd_ < 0) return error;
  owns_fd_ = true;
  endpoint_ = spec;
  if (is_unix) unix_path_ = spec;
  return "";
}

void FcgiServer::serve(int threads, const std::function<void(Exchange&)>& handler,
                       const std::function<void()>& on_stop) {
  Dispatcher dispatcher;
  Acceptor acceptor(fd_, dispatcher);
  if (!acceptor.start()) {
    log_event("error", std::string("cannot start accepting: ") + std::strerror(errno));
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back(serve_thread, std::ref(dispatcher), std::cref(handler));
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
  acceptor.stop();  // no new connection; those accepted and complete are still served
  shutdown(fd_, SHUT_RDWR);
  if (on_stop) on_stop();
  dispatcher.close();
  for (auto& thread : pool) thread.join();
}

}  // namespace resume_chat
