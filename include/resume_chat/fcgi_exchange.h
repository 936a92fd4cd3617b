// One FastCGI request/response: copied request parameters, a bounded body reader, and a
// response writer that knows when the client has gone.
//
// libfcgi latches the first write error only in FCGX_GetError(out): later writes and
// flushes report success. Every write here therefore checks GetError, so a closed tab is
// noticed on the first failed flush. A streamed response leaves libfcgi: detach() hands the
// connection to an FcgiConnection that the upstream engine writes without blocking.
#ifndef RESUME_CHAT_FCGI_EXCHANGE_H_
#define RESUME_CHAT_FCGI_EXCHANGE_H_

#include <fcgiapp.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resume_chat/fcgi_connection.h"

namespace resume_chat {

using Headers = std::vector<std::pair<std::string, std::string>>;

enum class BodyStatus { kOk, kTooLarge, kIncomplete };

class FcgiExchange {
 public:
  // `reading_done` runs once the request has been read (its body, or the connection handed
  // on by detach): the server's read deadline for it ends there.
  explicit FcgiExchange(FCGX_Request& request, std::function<void()> reading_done = nullptr);
  FcgiExchange(const FcgiExchange&) = delete;
  FcgiExchange& operator=(const FcgiExchange&) = delete;

  // A CGI parameter (REQUEST_METHOD, QUERY_STRING, ...), "" when absent.
  std::string param(const char* name) const;
  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }    // DOCUMENT_URI, without the query
  const std::string& query() const { return query_; }  // QUERY_STRING, still encoded
  const std::string& request_id() const { return request_id_; }

  // Reads the whole body into `body` unless it is longer than `limit` bytes. A body still
  // arriving when the request's deadline passes ends as kIncomplete (fcgi_server.h).
  BodyStatus read_body(size_t limit, std::string& body);

  // A whole response: head with Content-Length (nginx then passes it on as it is, without
  // chunked encoding), then the body unless the method is HEAD.
  bool respond(int status, Headers headers, std::string_view body);
  // The status line and headers as CGI response text (with X-Request-Id).
  std::string head(int status, const Headers& headers) const;
  // Takes the connection over for a streamed response with `status`: libfcgi's buffers and
  // parameters are freed (method(), path(), query() and request_id() keep their copies;
  // param() then finds nothing), the socket stays open. Nothing more may be written or read
  // through this FcgiExchange.
  FcgiConnection detach(int status);
  bool head_written() const { return head_written_; }
  int status() const { return status_; }
  // Microseconds since the request was accepted (for logs and metrics).
  long long elapsed_us() const;
  std::chrono::steady_clock::time_point accepted() const { return accepted_; }

 private:
  bool write_head(int status, const Headers& headers);
  bool write(std::string_view bytes);  // buffered by libfcgi, sent at FCGX_Finish_r
  bool client_gone() const;
  void finish_reading();

  FCGX_Request& request_;
  std::function<void()> reading_done_;
  std::string method_, path_, query_, request_id_;
  bool head_written_ = false;
  int status_ = 0;
  std::chrono::steady_clock::time_point accepted_ = std::chrono::steady_clock::now();
};

// "Not Found" for 404, and so on; "Unknown" for codes we never send.
const char* status_reason(int status);

}  // namespace resume_chat

#endif  // RESUME_CHAT_FCGI_EXCHANGE_H_
