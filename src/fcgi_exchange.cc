// FastCGI request/response wrapper; see fcgi_exchange.h for the write-error rule.
#include "resume_chat/fcgi_exchange.h"

#include <cctype>
#include <cstdlib>
#include <utility>

namespace resume_chat {

const char* status_reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 410: return "Gone";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

long long FcgiExchange::elapsed_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               accepted_).count();
}

FcgiExchange::FcgiExchange(FCGX_Request& request, std::function<void()> reading_done)
    : request_(request),
      reading_done_(std::move(reading_done)),
      method_(param("REQUEST_METHOD")),
      path_(param("DOCUMENT_URI")),
      query_(param("QUERY_STRING")),
      request_id_(param("REQUEST_ID")) {
  // nginx's $request_id is 32 hex digits; anything else is not echoed into a header.
  for (char c : request_id_) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
      request_id_.clear();
      break;
    }
  }
  if (path_.empty()) {
    std::string uri = param("REQUEST_URI");
    path_ = uri.substr(0, uri.find('?'));
  }
}

std::string FcgiExchange::param(const char* name) const {
  const char* value = FCGX_GetParam(name, request_.envp);
  return value == nullptr ? std::string() : std::string(value);
}

BodyStatus FcgiExchange::read_body(size_t limit, std::string& body) {
  body.clear();
  const std::string declared = param("CONTENT_LENGTH");
  char* end = nullptr;
  unsigned long long length = declared.empty() ? 0 : std::strtoull(declared.c_str(), &end, 10);
  if (!declared.empty() && (end == nullptr || *end != '\0')) return BodyStatus::kIncomplete;
  if (length > limit) return BodyStatus::kTooLarge;
  body.resize(static_cast<size_t>(length));
  size_t got = 0;
  while (got < body.size()) {
    int n = FCGX_GetStr(&body[got], static_cast<int>(body.size() - got), request_.in);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  finish_reading();
  if (got != body.size()) return BodyStatus::kIncomplete;
  return BodyStatus::kOk;
}

void FcgiExchange::finish_reading() {
  if (!reading_done_) return;
  reading_done_();
  reading_done_ = nullptr;
}

std::string FcgiExchange::head(int status, const Headers& headers) const {
  std::string head = "Status: " + std::to_string(status) + " " + status_reason(status) + "\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  // The id of this request's log line: a user reporting a problem can quote it.
  if (!request_id_.empty()) head += "X-Request-Id: " + request_id_ + "\r\n";
  head += "\r\n";
  return head;
}

bool FcgiExchange::write_head(int status, const Headers& headers) {
  head_written_ = true;
  status_ = status;
  return write(head(status, headers));
}

FcgiConnection FcgiExchange::detach(int status) {
  finish_reading();
  FCGX_FFlush(request_.out);  // normally empty: nothing was written through libfcgi
  const int fd = request_.ipcFd, id = request_.requestId;
  FCGX_Free(&request_, 0);  // the socket stays open; the server's FCGX_Finish_r is then a no-op
  request_.ipcFd = -1;
  request_.envp = nullptr;  // it pointed into the parameters FCGX_Free just freed
  head_written_ = true;
  status_ = status;
  return FcgiConnection(fd, id);
}

bool FcgiExchange::respond(int status, Headers headers, std::string_view body) {
  headers.emplace_back("Content-Length", std::to_string(body.size()));
  if (!write_head(status, headers)) return false;
  return method_ == "HEAD" || write(body);
}

bool FcgiExchange::write(std::string_view bytes) {
  if (client_gone()) return false;
  FCGX_PutStr(bytes.data(), static_cast<int>(bytes.size()), request_.out);
  return !client_gone();
}

bool FcgiExchange::client_gone() const { return FCGX_GetError(request_.out) != 0; }

}  // namespace resume_chat
