// FcgiExchange on a real libfcgi request (a socket pair, the worker's end read as the server
// does): parameters, the body, and detach, which frees libfcgi's parameters and must leave
// nothing pointing at them.
#define BOOST_TEST_MODULE exchange
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <fcgiapp.h>
#include <sys/socket.h>

#include "resume_chat/fcgi_exchange.h"
#include "support/fcgi_client.h"

using namespace resume_chat;
using namespace test_support;

namespace {

// The worker's side of a connection whose request (with `body`) has arrived, read by libfcgi.
struct Received {
  explicit Received(const std::string& body = "") {
    FCGX_Init();
    BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    const std::string sent = fcgi_request({{"REQUEST_METHOD", "POST"}, {"DOCUMENT_URI", "/chat"},
                                           {"QUERY_STRING", "q=x"},
                                           {"CONTENT_LENGTH", std::to_string(body.size())}},
                                          body);
    BOOST_REQUIRE(send(fds[1], sent.data(), sent.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(sent.size()));
    FCGX_InitRequest(&request, -1, 0);
    request.ipcFd = fds[0];
    request.keepConnection = 1;
    BOOST_REQUIRE(FCGX_Accept_r(&request) == 0);
  }
  ~Received() {
    FCGX_Finish_r(&request);
    FCGX_Free(&request, 1);
    close(fds[1]);
  }
  int fds[2] = {-1, -1};
  FCGX_Request request;
};

}  // namespace

BOOST_AUTO_TEST_CASE(parameters_and_body_are_read) {
  Received received("{\"message\":\"hi\"}");
  int done = 0;
  FcgiExchange exchange(received.request, [&done] { ++done; });
  BOOST_TEST(exchange.method() == "POST");
  BOOST_TEST(exchange.path() == "/chat");
  BOOST_TEST(exchange.param("QUERY_STRING") == "q=x");
  std::string body;
  BOOST_TEST((exchange.read_body(1000, body) == BodyStatus::kOk));
  BOOST_TEST(body == "{\"message\":\"hi\"}");
  BOOST_TEST(done == 1);  // the request's read deadline ends once
}

BOOST_AUTO_TEST_CASE(detach_leaves_nothing_pointing_at_freed_parameters) {
  Received received;
  int done = 0;
  FcgiExchange exchange(received.request, [&done] { ++done; });
  FcgiConnection connection = exchange.detach(200);
  BOOST_TEST(received.request.envp == nullptr);
  BOOST_TEST(exchange.param("REQUEST_METHOD").empty());  // not read from freed memory
  BOOST_TEST(exchange.method() == "POST");                // the copies stay
  BOOST_TEST(exchange.query() == "q=x");
  BOOST_TEST(done == 1);
}
