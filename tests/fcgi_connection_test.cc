// The detached FastCGI connection against a socketpair standing in for nginx: records that
// parse back to the bytes queued, END_REQUEST, non-blocking drains that resume, a gone peer.
#define BOOST_TEST_MODULE fcgi_connection
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>


#include "resume_chat/fcgi_connection.h"
#include "support/fcgi_records.h"

using namespace resume_chat;
using test_support::FcgiRecords;

namespace {

struct Pair {
  Pair() {
    int fds[2];
    BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    ours = FcgiConnection(fds[0], 7);
    nginx = fds[1];
  }
  ~Pair() {
    if (nginx >= 0) close(nginx);
  }
  FcgiConnection ours;
  int nginx = -1;
};

}  // namespace

BOOST_AUTO_TEST_CASE(records_carry_the_bytes_and_end_the_request) {
  Pair pair;
  const std::string big(200000, 'x');  // more than one record's 65535 bytes
  pair.ours.queue("Status: 200 OK\r\n\r\n");
  pair.ours.queue(big);
  pair.ours.queue("tail");
  pair.ours.queue_end();
  FcgiRecords seen;
  while (pair.ours.drain() == FcgiConnection::Drain::kBlocked) seen.read_from(pair.nginx, 100);
  seen.read_from(pair.nginx, 100);
  BOOST_TEST(!seen.malformed);
  BOOST_TEST(seen.request_id == 7);
  BOOST_TEST(seen.stdout_ == "Status: 200 OK\r\n\r\n" + big + "tail");
  BOOST_TEST(seen.stdout_closed);
  BOOST_TEST(seen.ended);
  BOOST_TEST(pair.ours.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(a_reader_that_does_not_read_blocks_only_its_own_buffer) {
  Pair pair;
  const std::string chunk(100000, 'y');
  FcgiConnection::Drain last = FcgiConnection::Drain::kDone;
  for (int i = 0; i < 50 && last != FcgiConnection::Drain::kBlocked; ++i) {
    pair.ours.queue(chunk);
    last = pair.ours.drain();  // never waits
  }
  BOOST_TEST((last == FcgiConnection::Drain::kBlocked));
  BOOST_TEST(pair.ours.pending() > 0u);
  FcgiRecords seen;
  while (pair.ours.pending() > 0) {
    seen.read_from(pair.nginx, 100);
    pair.ours.drain();
  }
  seen.read_from(pair.nginx, 100);
  BOOST_TEST(seen.stdout_.size() % chunk.size() == 0u);
  BOOST_TEST(seen.stdout_.find_first_not_of('y') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_closed_peer_is_gone) {
  Pair pair;
  BOOST_TEST(!pair.ours.peer_closed());
  close(pair.nginx);
  pair.nginx = -1;
  BOOST_TEST(pair.ours.peer_closed());
  pair.ours.queue("lost");
  BOOST_TEST((pair.ours.drain() == FcgiConnection::Drain::kGone));
  BOOST_TEST(pair.ours.gone());
}

// The engine's way to end a response: half-close once written, read until nginx closes too.
BOOST_AUTO_TEST_CASE(half_close_then_read_to_end_waits_for_the_peer_to_close) {
  Pair pair;
  pair.ours.queue("bye");
  pair.ours.queue_end();
  BOOST_TEST((pair.ours.drain() == FcgiConnection::Drain::kDone));
  pair.ours.half_close();
  BOOST_TEST(!pair.ours.gone());
  BOOST_TEST(!pair.ours.read_to_end());  // nginx has not closed yet: nothing to read, no end
  FcgiRecords seen;
  while (!seen.ended) seen.read_from(pair.nginx, 1000);
  BOOST_TEST(seen.stdout_ == "bye");
  char byte = 0;
  BOOST_TEST(read(pair.nginx, &byte, 1) == 0);  // our half-close reached nginx as EOF
  BOOST_TEST(write(pair.nginx, "late", 4) == 4);  // input nginx still sends is read away
  shutdown(pair.nginx, SHUT_WR);  // nginx closes once it has the end of the request
  pollfd readable{pair.ours.fd(), POLLIN, 0};
  BOOST_TEST(poll(&readable, 1, 5000) == 1);
  BOOST_TEST(pair.ours.read_to_end());
  pair.ours.close();
  BOOST_TEST(pair.ours.fd() == -1);
}
