// Whether a FastCGI request has arrived, from the bytes buffered so far: every prefix of a
// whole request is partial, the ends of both streams make it complete, a large body counts
// once enough of it is in, and anything that is not FastCGI is refused.
#define BOOST_TEST_MODULE fcgi_arrival
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/fcgi_arrival.h"
#include "support/fcgi_client.h"

using namespace resume_chat;
using test_support::fcgi_record;
using test_support::fcgi_request;

namespace {

const std::map<std::string, std::string> kParams = {{"REQUEST_METHOD", "POST"},
                                                    {"DOCUMENT_URI", "/chat"}};

}  // namespace

BOOST_AUTO_TEST_CASE(every_prefix_of_a_request_is_partial_and_the_whole_is_complete) {
  const std::string request = fcgi_request(kParams, "{\"message\":\"hi\"}");
  for (size_t n = 0; n < request.size(); ++n) {
    BOOST_TEST((fcgi_arrival(request.substr(0, n)) == Arrival::kPartial), "prefix " << n);
  }
  BOOST_TEST((fcgi_arrival(request) == Arrival::kComplete));
}

BOOST_AUTO_TEST_CASE(a_request_without_a_body_is_complete) {
  BOOST_TEST((fcgi_arrival(fcgi_request(kParams)) == Arrival::kComplete));
}

BOOST_AUTO_TEST_CASE(a_large_body_counts_once_enough_of_it_is_in) {
  std::string head = fcgi_request(kParams);
  head.resize(head.size() - 8);  // without the empty STDIN record: the body still streams
  std::string request = head + fcgi_record(5, std::string(30000, 'x'));
  BOOST_TEST((fcgi_arrival(head, 16384) == Arrival::kPartial));
  BOOST_TEST((fcgi_arrival(request.substr(0, 16383), 16384) == Arrival::kPartial));
  BOOST_TEST((fcgi_arrival(request.substr(0, 16384), 16384) == Arrival::kComplete));
  BOOST_TEST((fcgi_arrival(request.substr(0, 100), 64) == Arrival::kComplete));
}

BOOST_AUTO_TEST_CASE(enough_bytes_do_not_count_before_the_parameters_end) {
  std::string params_only = fcgi_record(1, std::string("\0\1\0\0\0\0\0\0", 8)) +
                            fcgi_record(4, std::string(20000, 'p'));
  BOOST_TEST((fcgi_arrival(params_only, 16384) == Arrival::kPartial));
}

BOOST_AUTO_TEST_CASE(padding_is_skipped) {
  std::string padded = fcgi_record(1, std::string("\0\1\0\0\0\0\0\0", 8));
  std::string params = fcgi_record(4, "ab");
  params[6] = 6;  // padding length
  padded += params + std::string(6, '\0') + fcgi_record(4, "") + fcgi_record(5, "");
  BOOST_TEST((fcgi_arrival(padded) == Arrival::kComplete));
}

BOOST_AUTO_TEST_CASE(what_is_not_fastcgi_is_invalid) {
  BOOST_TEST((fcgi_arrival("GET / HTTP/1.1\r\nHost: x\r\n\r\n") == Arrival::kInvalid));
  std::string version2 = fcgi_request(kParams);
  version2[0] = 2;
  BOOST_TEST((fcgi_arrival(version2) == Arrival::kInvalid));
  BOOST_TEST((fcgi_arrival(fcgi_record(0, "")) == Arrival::kInvalid));   // type 0
  BOOST_TEST((fcgi_arrival(fcgi_record(12, "")) == Arrival::kInvalid));  // past the last type
  // The body's end before the parameters' end: not a request nginx would send.
  BOOST_TEST((fcgi_arrival(fcgi_record(1, std::string("\0\1\0\0\0\0\0\0", 8)) + fcgi_record(5, "")) ==
              Arrival::kInvalid));
}

BOOST_AUTO_TEST_CASE(fewer_than_eight_bytes_wait) {
  BOOST_TEST((fcgi_arrival("") == Arrival::kPartial));
  BOOST_TEST((fcgi_arrival(std::string("\1\1\0\1", 4)) == Arrival::kPartial));
}
