// FCGI_STDOUT framing and non-blocking writes for streamed responses (FastCGI 1.0, §3.3, §5.5).
#include "resume_chat/fcgi_connection.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace resume_chat {
namespace {

constexpr unsigned char kVersion = 1;
constexpr unsigned char kEndRequest = 3;
constexpr unsigned char kStdout = 6;
constexpr size_t kMaxRecordContent = 65535;

void append_header(std::string& out, unsigned char type, int request_id, size_t length) {
  const char header[8] = {static_cast<char>(kVersion),
                          static_cast<char>(type),
                          static_cast<char>((request_id >> 8) & 0xFF),
                          static_cast<char>(request_id & 0xFF),
                          static_cast<char>((length >> 8) & 0xFF),
                          static_cast<char>(length & 0xFF),
                          0,   // padding length
                          0};  // reserved
  out.append(header, sizeof(header));
}

}  // namespace

FcgiConnection::FcgiConnection(int fd, int request_id) : fd_(fd), request_id_(request_id) {
  int flags = fcntl(fd_, F_GETFL);
  if (flags >= 0) fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
}

FcgiConnection::~FcgiConnection() { close_now(); }

FcgiConnection::FcgiConnection(FcgiConnection&& other) noexcept
    : fd_(other.fd_),
      request_id_(other.request_id_),
      gone_(other.gone_),
      pending_(std::move(other.pending_)),
      sent_(other.sent_),
      queued_total_(other.queued_total_),
      written_total_(other.written_total_) {
  other.fd_ = -1;
  other.sent_ = 0;
}

FcgiConnection& FcgiConnection::operator=(FcgiConnection&& other) noexcept {
  if (this != &other) {
    close_now();
    fd_ = other.fd_;
    request_id_ = other.request_id_;
    gone_ = other.gone_;
    pending_ = std::move(other.pending_);
    sent_ = other.sent_;
    queued_total_ = other.queued_total_;
    written_total_ = other.written_total_;
    other.fd_ = -1;
    other.sent_ = 0;
  }
  return *this;
}

void FcgiConnection::close_now() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void FcgiConnection::queue(std::string_view bytes) {
  if (gone_) return;
  const size_t before = pending_.size();
  while (!bytes.empty()) {
    const size_t length = std::min(bytes.size(), kMaxRecordContent);
    append_header(pending_, kStdout, request_id_, length);
    pending_.append(bytes.data(), length);
    bytes.remove_prefix(length);
  }
  queued_total_ += pending_.size() - before;
}

void FcgiConnection::queue_end() {
  if (gone_) return;
  const size_t before = pending_.size();
  append_header(pending_, kStdout, request_id_, 0);
  append_header(pending_, kEndRequest, request_id_, 8);
  pending_.append(8, '\0');  // appStatus 0, FCGI_REQUEST_COMPLETE, reserved
  queued_total_ += pending_.size() - before;
}

FcgiConnection::Drain FcgiConnection::drain() {
  if (gone_ || fd_ < 0) return Drain::kGone;
  while (sent_ < pending_.size()) {
    ssize_t n = ::send(fd_, pending_.data() + sent_, pending_.size() - sent_, MSG_NOSIGNAL);
    if (n > 0) {
      sent_ += static_cast<size_t>(n);
      written_total_ += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Keep the buffer from creeping: drop what was sent once it is most of it.
      if (sent_ > 4096 && sent_ * 2 > pending_.size()) {
        pending_.erase(0, sent_);
        sent_ = 0;
      }
      return Drain::kBlocked;
    }
    gone_ = true;
    return Drain::kGone;
  }
  pending_.clear();
  sent_ = 0;
  if (pending_.capacity() > 16384) pending_.shrink_to_fit();
  return Drain::kDone;
}

bool FcgiConnection::peer_closed() {
  if (gone_ || fd_ < 0) return true;
  pollfd peer{fd_, POLLRDHUP, 0};
  if (poll(&peer, 1, 0) == 1 && (peer.revents & (POLLRDHUP | POLLHUP | POLLERR))) gone_ = true;
  return gone_;
}

void FcgiConnection::half_close() {
  if (fd_ >= 0 && !gone_ && ::shutdown(fd_, SHUT_WR) != 0) gone_ = true;
}

bool FcgiConnection::read_to_end() {
  if (fd_ < 0 || gone_) return true;
  char discard[512];
  for (;;) {
    ssize_t n = ::recv(fd_, discard, sizeof(discard), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }
}

}  // namespace resume_chat
