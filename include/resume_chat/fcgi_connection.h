// A FastCGI connection taken over from libfcgi for a streamed response.
//
// libfcgi writes with blocking write(2) and buffers 8 KB per stream on each request, so a
// thread per stream is its model. A stream here instead frames its own FCGI_STDOUT records
// into a pending buffer and writes them on a non-blocking socket: one event thread serves
// every stream, a reader that stops reading only grows its own buffer (bounded by the
// engine), and an idle stream costs a file descriptor and a few hundred bytes.
//
// One thread touches a connection at a time: the request thread that detached it, then the
// upstream engine's event thread, which ends and closes it.
#ifndef RESUME_CHAT_FCGI_CONNECTION_H_
#define RESUME_CHAT_FCGI_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace resume_chat {

class FcgiConnection {
 public:
  enum class Drain { kDone, kBlocked, kGone };

  FcgiConnection() = default;
  // Takes ownership of `fd` (made non-blocking) for FastCGI request `request_id`.
  FcgiConnection(int fd, int request_id);
  ~FcgiConnection();
  FcgiConnection(FcgiConnection&& other) noexcept;
  FcgiConnection& operator=(FcgiConnection&& other) noexcept;
  FcgiConnection(const FcgiConnection&) = delete;
  FcgiConnection& operator=(const FcgiConnection&) = delete;

  int fd() const { return fd_; }
  bool gone() const { return gone_; }  // a write failed or the peer closed
  size_t pending() const { return pending_.size() - sent_; }
  // Bytes queued and bytes written over the connection's life, records' framing included:
  // what was queued up to some point has reached the peer once bytes_written() passes it.
  uint64_t bytes_queued() const { return queued_total_; }
  uint64_t bytes_written() const { return written_total_; }

  // Frames `bytes` as FCGI_STDOUT records behind whatever is pending.
  void queue(std::string_view bytes);
  // The end of the response: an empty FCGI_STDOUT record, then FCGI_END_REQUEST.
  void queue_end();

  // Writes what the socket takes now, without blocking.
  Drain drain();
  // True once nginx has closed its end (the browser left). Costs a poll(2).
  bool peer_closed();
  // The end of a connection, for an event loop: half_close() once everything is written,
  // then read_to_end() whenever the socket is readable, until it returns true (the peer has
  // closed, or failed), then close(). Closing with unread input would reset a TCP
  // connection, and nginx could then drop the response's last bytes.
  void half_close();
  bool read_to_end();
  void close() { close_now(); }

 private:
  void close_now();

  int fd_ = -1;
  int request_id_ = 0;
  bool gone_ = false;
  std::string pending_;
  size_t sent_ = 0;  // bytes of pending_ already written
  uint64_t queued_total_ = 0, written_total_ = 0;
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_FCGI_CONNECTION_H_
