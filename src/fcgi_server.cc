// FastCGI socket setup, worker threads, signal-driven shutdown.
#include "resume_chat/fcgi_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "resume_chat/log.h"

namespace resume_chat {
namespace {

constexpr int kBacklog = 1024;
// nginx sends a request's parameters and body at once; a peer silent this long mid-request is
// dropped, so no connection can hold a request thread for longer.
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

// Threads take turns to accept, the most recently idle first. Left to the kernel, threads
// blocked in accept() are woken in FIFO order, so a page load would run on the coldest
// thread, its stack and malloc arena out of cache. The turn covers accept(2) only: reading
// the request's parameters happens after it is passed on, so a silent peer holds up no one.
class AcceptTurns {
 public:
  void take(std::condition_variable& mine) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!taken_) {
      taken_ = true;
      return;
    }
    waiting_.push_back(&mine);
    mine.wait(lock, [&] { return next_ == &mine; });
    next_ = nullptr;
  }

  void pass() {
    std::lock_guard<std::mutex> lock(mu_);
    if (waiting_.empty()) {
      taken_ = false;
      return;
    }
    next_ = waiting_.back();
    waiting_.pop_back();
    next_->notify_one();
  }

 private:
  std::mutex mu_;
  bool taken_ = false;                               // guarded by mu_
  std::vector<std::condition_variable*> waiting_;    // guarded by mu_; the newest last
  std::condition_variable* next_ = nullptr;          // guarded by mu_
};

bool is_transient_accept_error(int error) {
  return error == EINTR || error == ECONNABORTED || error == EPROTO || error == EMFILE ||
         error == ENFILE || error == ENOBUFS || error == ENOMEM || error == EAGAIN;
}

// Accepts the next connection, or returns -1 once the socket is shut down.
int accept_next(int listen_fd, AcceptTurns& turns, std::condition_variable& my_turn) {
  for (;;) {
    turns.take(my_turn);
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    int error = errno;
    turns.pass();
    if (fd >= 0) return fd;
    if (!is_transient_accept_error(error)) return -1;
    if (error == EMFILE || error == ENFILE) {
      log_event("error", "accept: out of file descriptors; raise the limit or STREAM_CAPACITY");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

void configure_connection(int fd) {
  sockaddr_storage addr{};
  socklen_t length = sizeof(addr);
  int on = 1;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0 &&
      (addr.ss_family == AF_INET || addr.ss_family == AF_INET6)) {
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));  // tokens go out at once
  }
  timeval timeout{kRequestReadTimeoutS, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
}

// libfcgi reads the request (BEGIN_REQUEST, PARAMS) from a connection it believes it kept
// from a previous request; its own accept path would be entered only on a failure, and
// with no listening socket (-1) it fails at once instead of blocking. So the accept above
// stays ours: LIFO turns, and no turn held while a peer is slow to send.
bool read_request(FCGX_Request& request, int fd) {
  request.ipcFd = fd;
  request.keepConnection = 1;
  return FCGX_Accept_r(&request) == 0;  // on failure libfcgi has closed fd
}

void serve_thread(int fd, AcceptTurns& turns, const std::function<void(Exchange&)>& handler) {
  FCGX_Request request;
  FCGX_InitRequest(&request, -1, 0);
  std::condition_variable my_turn;
  for (;;) {
    int connection = accept_next(fd, turns, my_turn);
    if (connection < 0) break;  // shut down: the next thread fails the same way and passes on
    configure_connection(connection);
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
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  AcceptTurns turns;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back(serve_thread, fd_, std::ref(turns), std::cref(handler));
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
  FCGX_ShutdownPending();
  shutdown(fd_, SHUT_RDWR);  // fails the accept() in progress; each thread then fails in turn
  if (on_stop) on_stop();
  for (auto& thread : pool) thread.join();
}

}  // namespace resume_chat
