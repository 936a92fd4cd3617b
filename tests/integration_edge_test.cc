// The edge, end to end on the test stack (scripts/test-stack): nginx's own refusals of
// /chat (413, 429) as the worker's `error` event, access logs without query strings, the
// worker's read deadline for a trickled body and its refusal of a public FastCGI socket,
// and an invitation link's expiry ending the session it opened (a worker of its own, with
// LINK_SECRET, spoken to over FastCGI).
#define BOOST_TEST_MODULE integration_edge
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "resume_chat/invite_link.h"
#include "support/fcgi_client.h"
#include "support/http.h"
#include "support/stack.h"

using namespace test_support;
namespace utf = boost::unit_test;

namespace {

constexpr int kMaxMessageChars = 8000;  // the stack's (the worker's default)

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string root_dir() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) ? buf : ".";
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string session_token_of(const std::string& page) {
  size_t at = page.find("data-session=\"");
  if (at == std::string::npos) return "";
  at += 14;
  return page.substr(at, page.find('"', at) - at);
}

std::string chat_body(const std::string& token, const std::string& json_message) {
  return "{\"session\":\"" + token + "\",\"message\":" + json_message + "}";
}

HttpResponse post_chat(const std::string& body, const std::string& source_address = "") {
  return http({"POST", base_url() + "/chat", body, {"Content-Type: application/json"}, 60},
              source_address);
}

std::string free_port() { return std::to_string(free_loopback_port()); }

std::string worker_bin() {
  const char* given = std::getenv("WORKER_BIN");
  std::string bin = given != nullptr && *given != '\0' ? given : "build/resume-chat";
  return bin[0] == '/' ? bin : root_dir() + "/" + bin;
}

std::map<std::string, std::string> own_worker_env() {
  auto environment = worker_env();
  environment["PROMPT_TEMPLATE"] = root_dir() + "/prompts/chat_system.mustache";
  environment["TEMPLATES_DIR"] = root_dir() + "/templates";
  return environment;
}

// A worker of this test's own, in the background, on FastCGI at 127.0.0.1:PORT.
class OwnWorker {
 public:
  explicit OwnWorker(std::map<std::string, std::string> environment)
      : endpoint_("127.0.0.1:" + free_port()), log_("/tmp/resume-chat-edge-worker-" +
                                                    std::to_string(getpid()) + ".log") {
    environment["FCGI_SOCKET"] = endpoint_;
    pid_ = fork();
    if (pid_ == 0) {
      int out = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, 1);
      dup2(out, 2);
      int devnull = open("/dev/null", O_RDONLY);
      dup2(devnull, 0);
      std::vector<std::string> strings{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
      for (const auto& [k, v] : environment) strings.push_back(k + "=" + v);
      std::vector<char*> envp;
      for (auto& s : strings) envp.push_back(s.data());
      envp.push_back(nullptr);
      std::string bin = worker_bin();
      char* argv[] = {bin.data(), nullptr};
      execve(argv[0], argv, envp.data());
      _exit(127);
    }
    for (int i = 0; i < 300 && !contains(read_file(log_), "\"ready\""); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~OwnWorker() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    unlink(log_.c_str());
  }
  bool ready() const { return contains(read_file(log_), "\"ready\""); }
  const std::string& endpoint() const { return endpoint_; }
  std::string log() const { return read_file(log_); }

 private:
  std::string endpoint_, log_;
  pid_t pid_ = -1;
};

std::string fcgi_exchange(const std::string& endpoint, const std::string& request) {
  int fd = fcgi_connect(endpoint);
  if (fd < 0) return "";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  FcgiRecords seen;
  while (!seen.ended && seen.read_from(fd, 30000)) {
  }
  close(fd);
  return seen.stdout_;
}

}  // namespace

// nginx's body limit follows MAX_MESSAGE_CHARS: the longest message a JSON client can send
// (every character escaped, an emoji as a surrogate pair: 12 bytes) reaches the worker;
// past it, nginx's 413 is the worker's `error` event with the limit in characters.
BOOST_AUTO_TEST_CASE(the_body_limit_follows_max_message_chars, *utf::timeout(120)) {
  const std::string token = session_token_of(get(base_url() + "/?q=demo").body);
  BOOST_REQUIRE(!token.empty());
  std::string emoji = "\"";
  for (int i = 0; i < kMaxMessageChars; ++i) emoji += "\\ud83d\\ude00";
  emoji += "\"";
  const std::string body = chat_body(token, emoji);
  BOOST_TEST_MESSAGE("8,000 escaped emoji: a body of " << body.size() << " bytes");
  HttpResponse accepted = post_chat(body);
  BOOST_TEST(accepted.status == 200, accepted.body.substr(0, 300));
  BOOST_TEST(contains(accepted.body, "event: done"), accepted.body.substr(0, 300));

  HttpResponse refused = post_chat(std::string(kMaxMessageChars * 12 + 4096 + 1, 'x'));
  BOOST_TEST(refused.status == 413);
  BOOST_TEST(refused.header("content-type").rfind("text/event-stream", 0) == 0u);
  BOOST_TEST(refused.body == "event: error\ndata: {\"message\":\"Error: The message is too long "
                             "(at most 8000 characters).\"}\n\n");
  BOOST_TEST(contains(refused.header("content-security-policy"), "default-src 'none'"));
}

// From an address of its own (127.0.0.3), so no other test shares its bucket.
BOOST_AUTO_TEST_CASE(nginx_rate_limit_is_an_error_event_with_retry_after, *utf::timeout(120)) {
  HttpResponse limited;
  int sent = 0;
  for (; sent < 2000 && limited.status != 429; ++sent) {
    limited = post_chat(chat_body("v1.forged", "\"hi\""), "127.0.0.3");
  }
  BOOST_TEST_MESSAGE("429 after " << sent << " requests");
  BOOST_REQUIRE(limited.status == 429);
  BOOST_TEST(limited.header("content-type").rfind("text/event-stream", 0) == 0u);
  BOOST_TEST(limited.header("retry-after") == "5");
  BOOST_TEST(contains(limited.body, "event: error\ndata: {\"message\":\"Error: Too many messages."));
  BOOST_TEST(contains(limited.header("content-security-policy"), "default-src 'none'"));
}

// An invitation link's query (its signature a credential, its name a candidate's) never
// reaches the access log; nor does a refused request's line reach the error log.
BOOST_AUTO_TEST_CASE(the_access_log_holds_no_query_string, *utf::timeout(60)) {
  const std::string marker = "sigmarker" + std::to_string(std::time(nullptr));
  get(base_url() + "/?q=demo&exp=1999999999&sig=" + marker);
  get(base_url() + "/?q=name" + marker);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // (nginx writes as it goes)
  const std::string access = read_file(env("STACK_DIR") + "/nginx/logs/access.log");
  BOOST_TEST(contains(access, "\"GET / HTTP/1.1\" 200"));
  BOOST_TEST(!contains(access, marker));
  BOOST_TEST(!contains(read_file(env("STACK_DIR") + "/nginx.log"), marker));
}

// A FastCGI peer trickling its body a byte every 0.5 s: the worker answers at the request's
// deadline (5 s after accept) and pages are served meanwhile.
BOOST_AUTO_TEST_CASE(a_trickled_body_is_answered_at_the_deadline, *utf::timeout(120)) {
  int fd = fcgi_connect(env("FCGI_SOCKET"));
  BOOST_REQUIRE(fd >= 0);
  std::string head = fcgi_request({{"REQUEST_METHOD", "POST"}, {"DOCUMENT_URI", "/chat"},
                                   {"CONTENT_TYPE", "application/json"},
                                   {"CONTENT_LENGTH", "40000"}});
  head.resize(head.size() - 8);  // the body follows
  head += fcgi_record(5, std::string(20000, ' '));
  const auto start = std::chrono::steady_clock::now();
  send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  FcgiRecords seen;
  for (int i = 0; i < 60 && !seen.ended; ++i) {
    const std::string byte = fcgi_record(5, " ");
    send(fd, byte.data(), byte.size(), MSG_NOSIGNAL);
    if (i == 2) BOOST_TEST(get(base_url() + "/?q=demo").status == 200);
    seen.read_from(fd, 500);
  }
  close(fd);
  BOOST_TEST_MESSAGE("trickled body answered after "
                     << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
                     << " s");
  BOOST_TEST(seen.ended);
  BOOST_TEST(contains(seen.stdout_, "Status: 400"), seen.stdout_);
  BOOST_TEST(contains(seen.stdout_, "incomplete"), seen.stdout_);
}

BOOST_AUTO_TEST_CASE(a_fastcgi_socket_other_machines_reach_is_refused, *utf::timeout(120)) {
  auto environment = own_worker_env();
  environment["FCGI_SOCKET"] = "0.0.0.0:" + free_port();
  const std::string bin = worker_bin();
  ProcessResult refused = run_process({bin}, environment, 60, "/tmp");
  BOOST_TEST(refused.exit_code == 6, refused.output);
  BOOST_TEST(contains(refused.output, "FCGI_WEB_SERVER_ADDRS"), refused.output);
  environment["FCGI_WEB_SERVER_ADDRS"] = "127.0.0.1,nginx";
  ProcessResult bad = run_process({bin}, environment, 60, "/tmp");
  BOOST_TEST(bad.exit_code == 2, bad.output);
  BOOST_TEST(contains(bad.output, "'nginx' is not an IP address"), bad.output);
}

// A page opened by a link that expires in 2 s: its session's chat is refused once the link
// has expired, though the session token itself would live a day.
BOOST_AUTO_TEST_CASE(an_invitation_links_expiry_ends_its_session, *utf::timeout(120)) {
  const std::string secret = "edge-test-link-secret-0123456789";
  auto environment = own_worker_env();
  environment["LINK_SECRET"] = secret;
  OwnWorker worker(environment);
  BOOST_REQUIRE_MESSAGE(worker.ready(), worker.log());
  const int64_t expires = static_cast<int64_t>(std::time(nullptr)) + 3;
  const std::string query = resume_chat::LinkSigner(secret).query("demo", expires);
  const std::string page = fcgi_exchange(
      worker.endpoint(), fcgi_request({{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/"},
                                       {"QUERY_STRING", query}}));
  const std::string token = session_token_of(page);
  BOOST_REQUIRE_MESSAGE(token.rfind("v2.", 0) == 0, page.substr(0, 300));
  auto chat = [&] {
    const std::string body = chat_body(token, "\"hi [sim:echo]\"");
    return fcgi_exchange(worker.endpoint(),
                         fcgi_request({{"REQUEST_METHOD", "POST"}, {"DOCUMENT_URI", "/chat"},
                                       {"CONTENT_TYPE", "application/json"},
                                       {"CONTENT_LENGTH", std::to_string(body.size())}},
                                      body));
  };
  const std::string before = chat();
  BOOST_TEST(contains(before, "event: done"), before.substr(0, 300));
  while (std::time(nullptr) < expires) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::string after = chat();
  BOOST_TEST(contains(after, "Status: 403"), after);
  BOOST_TEST(contains(after, "This chat session has expired"), after);
}
