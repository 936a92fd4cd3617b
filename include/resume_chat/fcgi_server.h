// The FastCGI listener and its request threads.
//
// One acceptor thread takes every connection and holds it, on epoll, until its whole request
// has arrived (fcgi_arrival.h); then the most recently idle request thread reads it through
// libfcgi, which cannot wait. A peer that connects and sends nothing, or sends slowly,
// holds no thread and no turn: it is closed after 5 s. Requests are short: pages, and the
// work before a reply streams (the upstream engine carries the stream itself). Termination
// signals are taken by sigwait in the calling thread: on SIGTERM/SIGINT accepting stops,
// requests in progress finish, and serve() returns.
#ifndef RESUME_CHAT_FCGI_SERVER_H_
#define RESUME_CHAT_FCGI_SERVER_H_

#include <functional>
#include <string>

#include "resume_chat/exchange.h"

namespace resume_chat {

// Blocks SIGTERM, SIGINT and SIGHUP in this thread and all threads started after it, and
// ignores SIGPIPE. Call first thing in main().
void block_termination_signals();

class FcgiServer {
 public:
  FcgiServer() = default;
  ~FcgiServer();
  FcgiServer(const FcgiServer&) = delete;
  FcgiServer& operator=(const FcgiServer&) = delete;

  // Uses an inherited listening socket on fd 0 (spawn-fcgi, systemd) when there is one;
  // otherwise listens on `spec`: a unix socket path (mode 0660) or "host:port" (IPv4/IPv6).
  // Returns "" or one line saying what failed.
  std::string listen(const std::string& spec);
  const std::string& endpoint() const { return endpoint_; }

  // Runs `threads` workers calling `handler` until a termination signal; then drains.
  // `on_stop` runs once, right after the signal, before waiting for requests in flight.
  void serve(int threads, const std::function<void(Exchange&)>& handler,
             const std::function<void()>& on_stop);

 private:
  int fd_ = -1;
  bool owns_fd_ = false;
  std::string endpoint_, unix_path_;
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_FCGI_SERVER_H_
