// Test support: a small libcurl HTTP client that records status, headers, body and when
// each body chunk arrived (to see streaming).
#ifndef RESUME_CHAT_TESTS_SUPPORT_HTTP_H_
#define RESUME_CHAT_TESTS_SUPPORT_HTTP_H_

#include <curl/curl.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace test_support {

struct HttpResponse {
  long status = 0;
  CURLcode code = CURLE_OK;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::vector<std::pair<double, std::string>> chunks;  // seconds since start, bytes
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::vector<std::string> headers;
  long timeout_s = 60;
};

// Called on the request's thread with the body so far, after each chunk: how a test waits
// for a point in a stream without sharing the response across threads.
using BodyObserver = std::function<void(const std::string& body)>;

namespace detail {
struct Capture {
  HttpResponse* response;
  std::chrono::steady_clock::time_point start;
  const BodyObserver* observer;
};
inline size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* cap = static_cast<Capture*>(user);
  std::string bytes(data, size * n);
  double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - cap->start).count();
  cap->response->body += bytes;
  cap->response->chunks.emplace_back(t, bytes);
  if (*cap->observer) (*cap->observer)(cap->response->body);
  return size * n;
}
inline size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* cap = static_cast<Capture*>(user);
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    cap->response->headers[name] = value;
  }
  return size * n;
}
}  // namespace detail

// `source_address` (e.g. "127.0.0.2") makes the request come from another local address.
inline HttpResponse http(const HttpRequest& request, const std::string& source_address = "",
                         const BodyObserver& on_body = nullptr) {
  HttpResponse response;
  CURL* curl = curl_easy_init();
  detail::Capture capture{&response, std::chrono::steady_clock::now(), &on_body};
  curl_slist* headers = nullptr;
  for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, request.timeout_s);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (request.method == "POST" || !request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const std::string interface = "host!" + source_address;
  if (!source_address.empty()) curl_easy_setopt(curl, CURLOPT_INTERFACE, interface.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, detail::on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &capture);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, detail::on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &capture);
  response.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return response;
}

inline HttpResponse get(const std::string& url) { return http({"GET", url, "", {}, 60}); }

// application/x-www-form-urlencoded escaping of a query value.
inline std::string url_encode(const std::string& text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_HTTP_H_
