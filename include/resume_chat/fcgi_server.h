// The FastCGI listener and its request threads.
//
// One acceptor thread takes every connection and holds it, on epoll (edge-triggered: a
// half-arrived request costs no CPU while it waits), until its whole request has arrived
// (fcgi_arrival.h); then the most recently idle request thread reads it through libfcgi,
// which cannot wait. A peer that connects and sends nothing, or sends slowly, holds no
// thread and no turn: it is closed 5 s after it was accepted. A body too large to wait for
// whole (over 16 KB) is read by the thread under that same deadline, one for the whole
// request, after which its reading is cut off. Out of file descriptors, accepting pauses
// with a growing back-off. Requests are short: pages, and the work before a reply streams
// (the upstream engine carries the stream itself). Every connection carries one request,
// whatever FCGI_KEEP_CONN says. Termination signals are taken by sigwait in the calling
// thread: on SIGTERM/SIGINT the connections already queued are taken and served, the
// listening socket is closed (an inherited one only let go of: other processes may share
// it), requests in progress finish, and serve() returns.
#ifndef RESUME_CHAT_FCGI_SERVER_H_
#define RESUME_CHAT_FCGI_SERVER_H_

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "resume_chat/fcgi_exchange.h"

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
  // `web_servers` (FCGI_WEB_SERVER_ADDRS): IP addresses; when given, TCP peers from other
  // addresses are closed unserved. A socket other machines can reach (not loopback, not
  // unix) is refused without them. Returns "" or one line saying what failed.
  std::string listen(const std::string& spec, const std::vector<std::string>& web_servers = {});
  const std::string& endpoint() const { return endpoint_; }

  // Runs `threads` workers calling `handler` until a termination signal; then drains.
  // `on_stop` runs once, right after the signal, before waiting for requests in flight.
  void serve(int threads, const std::function<void(FcgiExchange&)>& handler,
             const std::function<void()>& on_stop);

 private:
  void stop_listening();

  int fd_ = -1;
  bool owns_fd_ = false;
  std::string endpoint_, unix_path_;
  std::vector<std::array<unsigned char, 16>> web_servers_;  // IPv4 as IPv4-mapped IPv6
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_FCGI_SERVER_H_
