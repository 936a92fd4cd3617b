// Test support: the nginx side of a FastCGI connection. Reads records from a socket and
// keeps the FCGI_STDOUT content, and whether FCGI_END_REQUEST arrived.
#ifndef RESUME_CHAT_TESTS_SUPPORT_FCGI_RECORDS_H_
#define RESUME_CHAT_TESTS_SUPPORT_FCGI_RECORDS_H_

#include <poll.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace test_support {

struct FcgiRecords {
  std::string raw;      // every byte read
  std::string stdout_;  // FCGI_STDOUT content, in order
  bool stdout_closed = false, ended = false, malformed = false;
  int request_id = -1;

  // Parses what `raw` holds so far into the fields above.
  void parse() {
    stdout_.clear();
    stdout_closed = ended = malformed = false;
    size_t at = 0;
    while (raw.size() - at >= 8) {
      const auto* h = reinterpret_cast<const unsigned char*>(raw.data() + at);
      const size_t length = (size_t{h[4]} << 8) | h[5], padding = h[6];
      if (h[0] != 1) malformed = true;
      if (raw.size() - at < 8 + length + padding) break;
      request_id = (h[2] << 8) | h[3];
      if (h[1] == 6 && length == 0) stdout_closed = true;
      if (h[1] == 6) stdout_.append(raw, at + 8, length);
      if (h[1] == 3) ended = true;
      at += 8 + length + padding;
    }
  }

  // Reads whatever arrives within `wait_ms` (or until EOF); true if anything came.
  bool read_from(int fd, int wait_ms) {
    bool got = false;
    char buffer[16384];
    pollfd readable{fd, POLLIN, 0};
    while (poll(&readable, 1, wait_ms) > 0) {
      ssize_t n = ::read(fd, buffer, sizeof(buffer));
      if (n <= 0) break;
      raw.append(buffer, static_cast<size_t>(n));
      got = true;
      wait_ms = 0;
    }
    parse();
    return got;
  }

  // The `event: token` texts of the SSE body, in order (JSON string unescaped for \" \\ \n only).
  std::vector<std::string> tokens() const {
    std::vector<std::string> out;
    const std::string marker = "event: token\ndata: {\"text\":\"";
    for (size_t at = stdout_.find(marker); at != std::string::npos; at = stdout_.find(marker, at)) {
      at += marker.size();
      std::string text;
      for (; at < stdout_.size() && stdout_[at] != '"'; ++at) {
        if (stdout_[at] == '\\' && at + 1 < stdout_.size()) {
          char c = stdout_[++at];
          text += c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
        } else {
          text += stdout_[at];
        }
      }
      out.push_back(text);
    }
    return out;
  }
};

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_FCGI_RECORDS_H_
