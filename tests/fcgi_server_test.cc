// The FastCGI server on TCP and unix sockets with a trivial handler: peers that connect and
// send nothing, or half a request, hold no request thread and cost no CPU — every real
// request is served meanwhile — and are closed; a body trickled in is cut off at the
// request's deadline; FCGI_KEEP_CONN leaks nothing; FCGI_WEB_SERVER_ADDRS; SIGTERM serves
// what had arrived and leaves an inherited socket listening for the processes sharing it.
#define BOOST_TEST_MODULE fcgi_server
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "resume_chat/fcgi_server.h"
#include "support/fcgi_client.h"

using namespace resume_chat;
using namespace test_support;
namespace utf = boost::unit_test;

namespace {

struct Process {
  Process() {
    block_termination_signals();
    FCGX_Init();
  }
};
BOOST_TEST_GLOBAL_FIXTURE(Process);

std::string free_tcp_endpoint() { return "127.0.0.1:" + std::to_string(free_loopback_port()); }

void serve_path(FcgiExchange& exchange) {
  exchange.respond(200, {{"Content-Type", "text/plain"}}, "served " + exchange.path());
}

// Reads the body, then says how that went and how long it took.
void serve_body(FcgiExchange& exchange) {
  std::string body;
  const BodyStatus status = exchange.read_body(1 << 20, body);
  exchange.respond(200, {{"Content-Type", "text/plain"}},
                   std::string(status == BodyStatus::kOk ? "body complete " : "body incomplete ") +
                       std::to_string(body.size()) + " after " +
                       std::to_string(exchange.elapsed_us() / 1000) + " ms");
}

// A server with 4 request threads (answering "served <uri>" unless told otherwise), until
// the test ends.
class Serving {
 public:
  explicit Serving(const std::string& endpoint,
                   std::function<void(FcgiExchange&)> handler = serve_path,
                   std::vector<std::string> web_servers = {})
      : endpoint_(endpoint), handler_(std::move(handler)) {
    BOOST_REQUIRE(server_.listen(endpoint, web_servers).empty());
    thread_ = std::thread([this] { server_.serve(4, handler_, nullptr); });
  }
  ~Serving() { stop(); }
  void terminate() {  // taken by serve()'s sigwait; once: another would stay pending
    if (!terminated_) kill(getpid(), SIGTERM);
    terminated_ = true;
  }
  void stop() {
    if (!thread_.joinable()) return;
    terminate();
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  std::string endpoint_;
  std::function<void(FcgiExchange&)> handler_;
  bool terminated_ = false;
  FcgiServer server_;
  std::thread thread_;
};

void misbehaving_peers_hold_up_no_one(const std::string& endpoint) {
  Serving serving(endpoint);
  BOOST_REQUIRE(fcgi_get(endpoint, "/warm").find("served /warm") != std::string::npos);
  std::vector<int> peers;
  for (int i = 0; i < 12; ++i) peers.push_back(fcgi_connect(endpoint));  // silent
  const std::string half = fcgi_request({{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/half"}});
  for (int i = 0; i < 12; ++i) {  // half a request, then silence
    int fd = fcgi_connect(endpoint);
    send(fd, half.data(), half.size() / 2, MSG_NOSIGNAL);
    peers.push_back(fd);
  }
  int served = 0;
  for (int i = 0; i < 40; ++i) {
    served += fcgi_get(endpoint, "/page" + std::to_string(i), 4000).find("served /page") != std::string::npos;
  }
  BOOST_TEST(served == 40);
  // The misbehaving peers are closed once their time is up.
  int closed = 0;
  for (int fd : peers) {
    FcgiRecords seen;
    char byte;
    pollfd readable{fd, POLLIN, 15000};
    closed += poll(&readable, 1, 15000) == 1 && recv(fd, &byte, 1, 0) <= 0;  // EOF, or a reset
    close(fd);
  }
  BOOST_TEST(closed == 24);
}

}  // namespace

BOOST_AUTO_TEST_CASE(silent_and_slow_peers_on_tcp, *utf::timeout(120)) {
  misbehaving_peers_hold_up_no_one(free_tcp_endpoint());
}

BOOST_AUTO_TEST_CASE(silent_and_slow_peers_on_a_unix_socket, *utf::timeout(120)) {
  misbehaving_peers_hold_up_no_one("/tmp/resume-chat-fcgi-test-" + std::to_string(getpid()) + ".sock");
}

BOOST_AUTO_TEST_CASE(requests_that_are_not_fastcgi_are_dropped, *utf::timeout(60)) {
  Serving serving(free_tcp_endpoint());
  int fd = fcgi_connect(serving.endpoint());
  const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  send(fd, http.data(), http.size(), MSG_NOSIGNAL);
  char byte;
  pollfd readable{fd, POLLIN, 0};
  BOOST_TEST(poll(&readable, 1, 10000) == 1);
  BOOST_TEST(recv(fd, &byte, 1, 0) <= 0);
  close(fd);
  BOOST_TEST(fcgi_get(serving.endpoint(), "/after").find("served /after") != std::string::npos);
}

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Everything a peer receives until EOF (or `wait_ms` of silence).
FcgiRecords read_response(int fd, int wait_ms = 15000) {
  FcgiRecords seen;
  while (!seen.ended && seen.read_from(fd, wait_ms)) {
  }
  return seen;
}

// True when the peer's side reads end-of-file (or a reset) within `wait_ms`.
bool closed_by_server(int fd, int wait_ms) {
  char buffer[4096];
  pollfd readable{fd, POLLIN, 0};
  while (poll(&readable, 1, wait_ms) == 1) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return true;
  }
  return false;
}

std::string body_request(size_t declared) {
  std::string head = fcgi_request({{"REQUEST_METHOD", "POST"}, {"DOCUMENT_URI", "/body"},
                                   {"CONTENT_LENGTH", std::to_string(declared)}});
  return head.substr(0, head.size() - 8);  // without the empty STDIN record: the body follows
}

}  // namespace

// The process is the worker here: its CPU time over 3 s is the acceptor's waiting.
BOOST_AUTO_TEST_CASE(half_arrived_requests_cost_no_cpu_while_held, *utf::timeout(60)) {
  Serving serving(free_tcp_endpoint());
  const std::string half = fcgi_request({{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/half"}});
  std::vector<int> peers;
  for (int i = 0; i < 4; ++i) {
    peers.push_back(fcgi_connect(serving.endpoint()));
    send(peers.back(), half.data(), half.size() / 2, MSG_NOSIGNAL);
  }
  const double before = cpu_seconds();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const double spent = cpu_seconds() - before;
  BOOST_TEST_MESSAGE("CPU spent by the worker holding 4 half-arrived requests for 3 s: " << spent << " s");
  std::printf("measure: held_half_requests_cpu_s=%.3f\n", spent);
  BOOST_TEST(spent < 0.3);
  // A held connection whose rest arrives is served (the edge of the new bytes wakes it).
  send(peers[0], half.data() + half.size() / 2, half.size() - half.size() / 2, MSG_NOSIGNAL);
  BOOST_TEST(read_response(peers[0]).stdout_.find("served /half") != std::string::npos);
  for (int fd : peers) close(fd);
}

// nginx's fastcgi_keep_conn on sets FCGI_KEEP_CONN: the worker still closes each connection
// after its one request (it never reads a second), so none is left behind.
BOOST_AUTO_TEST_CASE(keep_conn_requests_are_closed_after_their_response, *utf::timeout(60)) {
  Serving serving(free_tcp_endpoint());
  std::string request = fcgi_request({{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/kept"}});
  request[8 + 2] = 1;  // BEGIN_REQUEST flags: FCGI_KEEP_CONN
  for (int i = 0; i < 3; ++i) {
    int fd = fcgi_connect(serving.endpoint());
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    FcgiRecords seen = read_response(fd);
    BOOST_TEST(seen.stdout_.find("served /kept") != std::string::npos);
    BOOST_TEST(closed_by_server(fd, 5000));
    close(fd);
  }
}

// A body larger than the acceptor waits for, then trickled a byte every 0.5 s: the thread
// reading it gives up at the request's one deadline (5 s after accept), not per read.
BOOST_AUTO_TEST_CASE(a_trickled_body_is_cut_off_at_the_request_deadline, *utf::timeout(60)) {
  Serving serving(free_tcp_endpoint(), serve_body);
  int fd = fcgi_connect(serving.endpoint());
  const auto start = std::chrono::steady_clock::now();
  std::string sent = body_request(40000) + fcgi_record(5, std::string(20000, 'x'));
  send(fd, sent.data(), sent.size(), MSG_NOSIGNAL);
  FcgiRecords seen;
  for (int i = 0; i < 60 && !seen.ended; ++i) {  // up to 30 s of trickle
    const std::string byte = fcgi_record(5, "y");
    send(fd, byte.data(), byte.size(), MSG_NOSIGNAL);
    seen.read_from(fd, 500);
  }
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST_MESSAGE("trickled body answered after " << waited << " s: " << seen.stdout_);
  BOOST_TEST(seen.stdout_.find("body incomplete") != std::string::npos);
  close(fd);
  // A large body sent at once is read whole.
  fd = fcgi_connect(serving.endpoint());
  sent = body_request(40000) + fcgi_record(5, std::string(20000, 'x')) +
         fcgi_record(5, std::string(20000, 'z')) + fcgi_record(5, "");
  send(fd, sent.data(), sent.size(), MSG_NOSIGNAL);
  BOOST_TEST(read_response(fd).stdout_.find("body complete 40000") != std::string::npos);
  close(fd);
}

BOOST_AUTO_TEST_CASE(a_socket_other_machines_reach_needs_web_server_addrs, *utf::timeout(60)) {
  const std::string port = free_tcp_endpoint().substr(10);
  {
    FcgiServer server;
    const std::string error = server.listen("0.0.0.0:" + port);
    BOOST_TEST(error.find("FCGI_WEB_SERVER_ADDRS") != std::string::npos);
    BOOST_TEST(error.find("0.0.0.0") != std::string::npos);
    FcgiServer bad;
    BOOST_TEST(bad.listen("127.0.0.1:" + port, {"not-an-ip"}).find("not an IP") != std::string::npos);
  }
  {
    Serving serving("0.0.0.0:" + port, serve_path, {"10.9.8.7", "127.0.0.1"});
    BOOST_TEST(fcgi_get("127.0.0.1:" + port, "/listed").find("served /listed") != std::string::npos);
  }
  Serving serving(free_tcp_endpoint(), serve_path, {"10.9.8.7"});
  BOOST_TEST(fcgi_get(serving.endpoint(), "/unlisted", 5000).empty());
}

// On SIGTERM a request that had begun arriving is still served when the rest comes.
BOOST_AUTO_TEST_CASE(a_request_arriving_at_sigterm_is_served, *utf::timeout(60)) {
  Serving serving(free_tcp_endpoint());
  const std::string whole = fcgi_request({{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/late"}});
  int fd = fcgi_connect(serving.endpoint());
  send(fd, whole.data(), whole.size() / 2, MSG_NOSIGNAL);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // held by the acceptor
  serving.terminate();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // draining by now
  send(fd, whole.data() + whole.size() / 2, whole.size() - whole.size() / 2, MSG_NOSIGNAL);
  BOOST_TEST(read_response(fd).stdout_.find("served /late") != std::string::npos);
  close(fd);
  serving.stop();
  BOOST_TEST(fcgi_connect(serving.endpoint()) < 0);  // closed: nginx's next connect is refused
}

// A listening socket on fd 0 (spawn-fcgi, systemd) may be shared by several workers: one
// worker's SIGTERM lets go of it without shutting it down for the others.
BOOST_AUTO_TEST_CASE(an_inherited_socket_keeps_listening_for_the_others, *utf::timeout(60)) {
  const std::string endpoint = free_tcp_endpoint();
  int shared = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(endpoint.substr(10))));
  BOOST_REQUIRE(bind(shared, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  BOOST_REQUIRE(listen(shared, 16) == 0);
  const int saved_stdin = dup(0);
  dup2(shared, 0);
  {
    Serving serving("/unused-with-an-inherited-socket");
    BOOST_TEST(fcgi_get(endpoint, "/inherited").find("served /inherited") != std::string::npos);
  }
  dup2(saved_stdin, 0);
  close(saved_stdin);
  // The other holder's copy still listens: a connection is queued for it and accepted.
  int fd = fcgi_connect(endpoint);
  BOOST_TEST(fd >= 0);
  pollfd pending{shared, POLLIN, 0};
  BOOST_TEST(poll(&pending, 1, 5000) == 1);
  int accepted = accept(shared, nullptr, nullptr);
  BOOST_TEST(accepted >= 0);
  if (accepted >= 0) close(accepted);
  if (fd >= 0) close(fd);
  close(shared);
}

// Out of file descriptors, accept fails while nginx's connection waits in the queue: the
// listener pauses and retries with a back-off (one log line, not one per retry), and the
// queued connection is served once descriptors are free again.
// Not under ASan: its runtime opens files of its own (a report, the symbolizer), which a
// process out of descriptors cannot, and it would die mid-test with stderr redirected.
#ifdef __SANITIZE_ADDRESS__
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
BOOST_AUTO_TEST_CASE(out_of_descriptors_the_listener_backs_off,
                     *utf::timeout(60) *
                         utf::precondition([](utf::test_unit_id) { return !kAddressSanitizer; })) {
  Serving serving(free_tcp_endpoint());
  {  // the server is up, and done with this connection (its descriptor is closed)
    int warm = fcgi_connect(serving.endpoint());
    const std::string get = fcgi_request({{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/warm"}});
    send(warm, get.data(), get.size(), MSG_NOSIGNAL);
    BOOST_REQUIRE(closed_by_server(warm, 10000));
    close(warm);
  }
  char log_path[] = "/tmp/resume-chat-fcgi-log-XXXXXX";
  const int log_fd = mkstemp(log_path);
  const int saved_stderr = dup(2);
  dup2(log_fd, 2);
  rlimit saved_limit{};
  getrlimit(RLIMIT_NOFILE, &saved_limit);
  rlimit low = saved_limit;
  low.rlim_cur = 256;
  setrlimit(RLIMIT_NOFILE, &low);
  std::vector<int> fillers;
  for (int round = 0; round < 2; ++round) {  // again once libfcgi's lingering close is done
    for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers.push_back(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  close(fillers.back());  // one left: the client's socket
  fillers.pop_back();
  int client = fcgi_connect(serving.endpoint());
  BOOST_REQUIRE_MESSAGE(client >= 0, std::strerror(errno) << " fillers " << fillers.size());
  const std::string request = fcgi_request({{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/queued"}});
  send(client, request.data(), request.size(), MSG_NOSIGNAL);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double before = cpu_seconds();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double spent = cpu_seconds() - before;
  for (int fd : fillers) close(fd);
  setrlimit(RLIMIT_NOFILE, &saved_limit);
  BOOST_TEST(read_response(client).stdout_.find("served /queued") != std::string::npos);
  close(client);
  dup2(saved_stderr, 2);
  close(saved_stderr);
  std::string logged(1 << 16, '\0');
  logged.resize(static_cast<size_t>(std::max<ssize_t>(0, pread(log_fd, &logged[0], logged.size(), 0))));
  close(log_fd);
  unlink(log_path);
  size_t lines = 0;
  for (size_t at = 0; (at = logged.find("out of file descriptors", at)) != std::string::npos; ++at) ++lines;
  BOOST_TEST_MESSAGE("out of descriptors: " << lines << " log line(s) in 3 s, CPU " << spent << " s in 1 s");
  BOOST_TEST(lines == 1u);
  BOOST_TEST(logged.find("accepting") != std::string::npos);
  BOOST_TEST(spent < 0.1);
}

// nginx connecting while the worker stops: on a unix socket the path goes first (a connect
// then fails at once and nginx tries another worker), and every connection that got in
// (queued or held) is served, none reset.
BOOST_AUTO_TEST_CASE(connections_made_while_stopping_are_served_or_refused, *utf::timeout(120)) {
  const std::string path = "/tmp/resume-chat-fcgi-stop-" + std::to_string(getpid()) + ".sock";
  Serving serving(path);
  BOOST_REQUIRE(fcgi_get(path, "/warm").find("served /warm") != std::string::npos);
  std::atomic<int> connected{0}, served{0};
  std::atomic<bool> refused{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      const std::string request = fcgi_request({{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/x"}});
      while (!refused) {
        int fd = fcgi_connect(path);
        if (fd < 0) {
          refused = true;
          break;
        }
        ++connected;
        send(fd, request.data(), request.size(), MSG_NOSIGNAL);
        if (read_response(fd, 10000).stdout_.find("served /x") != std::string::npos) ++served;
        close(fd);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  serving.terminate();
  for (auto& client : clients) client.join();
  serving.stop();
  BOOST_TEST_MESSAGE(connected << " connections while stopping, " << served << " served");
  BOOST_TEST(refused.load());
  BOOST_TEST(served.load() == connected.load());
}
