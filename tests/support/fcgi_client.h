// Test support: a FastCGI client that speaks to the worker as nginx does (one request per
// connection, keep-conn off), on a unix socket path or host:port; and peers that misbehave.
#ifndef RESUME_CHAT_TESTS_SUPPORT_FCGI_CLIENT_H_
#define RESUME_CHAT_TESTS_SUPPORT_FCGI_CLIENT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <string>

#include "support/fcgi_records.h"

namespace test_support {

// A connected socket to `endpoint` ("/path" or "127.0.0.1:port"), or -1.
// A loopback TCP port free a moment ago (bound, read back, closed), for a server of the
// test's own.
inline int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t length = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return ntohs(addr.sin_port);
}

inline int fcgi_connect(const std::string& endpoint) {
  if (endpoint.find('/') != std::string::npos) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, endpoint.c_str(), sizeof(addr.sun_path) - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return fd;
    close(fd);
    return -1;
  }
  const size_t colon = endpoint.rfind(':');
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(endpoint.substr(colon + 1))));
  inet_pton(AF_INET, endpoint.substr(0, colon).c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return fd;
  close(fd);
  return -1;
}

inline std::string fcgi_record(unsigned char type, const std::string& content) {
  std::string record = {1, static_cast<char>(type), 0, 1, static_cast<char>(content.size() >> 8),
                        static_cast<char>(content.size() & 0xFF), 0, 0};
  return record + content;
}

// BEGIN_REQUEST (responder, no keep-conn), the parameters, and the body: a whole request.
inline std::string fcgi_request(const std::map<std::string, std::string>& params,
                                const std::string& body = "") {
  std::string pairs;
  for (const auto& [name, value] : params) {
    pairs += static_cast<char>(name.size());
    pairs += static_cast<char>(value.size());
    pairs += name + value;
  }
  std::string request = fcgi_record(1, std::string("\0\1\0\0\0\0\0\0", 8));
  request += fcgi_record(4, pairs) + fcgi_record(4, "");
  if (!body.empty()) request += fcgi_record(5, body);
  return request + fcgi_record(5, "");
}

// Sends a GET for `uri` and reads the response: its FCGI_STDOUT text ("" if none came
// within `wait_ms` or the connection failed).
inline std::string fcgi_get(const std::string& endpoint, const std::string& uri, int wait_ms = 10000) {
  int fd = fcgi_connect(endpoint);
  if (fd < 0) return "";
  const std::string request = fcgi_request(
      {{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", uri}, {"QUERY_STRING", ""}, {"REQUEST_URI", uri}});
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    close(fd);
    return "";
  }
  FcgiRecords seen;
  while (!seen.ended && seen.read_from(fd, wait_ms)) {
  }
  close(fd);
  return seen.stdout_;
}

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_FCGI_CLIENT_H_
