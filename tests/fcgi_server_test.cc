// The FastCGI server on TCP and unix sockets with a trivial handler: peers that connect and
// send nothing, or half a request, hold no request thread — every real request is served
// meanwhile — and are closed; SIGTERM stops it.
#define BOOST_TEST_MODULE fcgi_server
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <fcgiapp.h>
#include <poll.h>
#include <signal.h>

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

std::string free_tcp_endpoint() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t length = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

// A server with 4 request threads answering "served <uri>", until the test ends.
class Serving {
 public:
  explicit Serving(const std::string& endpoint) : endpoint_(endpoint) {
    BOOST_REQUIRE(server_.listen(endpoint).empty());
    thread_ = std::thread([this] {
      server_.serve(4, [](Exchange& exchange) {
        exchange.respond(200, {{"Content-Type", "text/plain"}}, "served " + exchange.path());
      }, nullptr);
    });
  }
  ~Serving() {
    kill(getpid(), SIGTERM);  // taken by serve()'s sigwait
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  std::string endpoint_;
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
