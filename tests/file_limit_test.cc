// The open-files budget: what the capacity needs, an explicit capacity that cannot fit, and
// the default lowered to what a low limit carries.
#define BOOST_TEST_MODULE file_limit
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/file_limit.h"

using namespace resume_chat;

namespace {
Config https_worker() {
  Config config;  // the defaults: 8 threads, a pool of 3, capacity 1000, the API over HTTPS
  return config;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_default_capacity_fits_the_usual_limits) {
  const Config config = https_worker();
  BOOST_TEST(descriptors_needed(config, 1000) == 1000 + 16 + 8 + 3 + 64);
  StreamCapacity fit = fit_stream_capacity(config, 16384);  // the unit's LimitNOFILE
  BOOST_TEST(fit.error.empty());
  BOOST_TEST(fit.capacity == 1000);
  BOOST_TEST(!fit.lowered);
}

BOOST_AUTO_TEST_CASE(an_explicit_capacity_that_cannot_fit_is_refused) {
  Config config = https_worker();
  config.stream_capacity = 5000;
  config.stream_capacity_set = true;
  StreamCapacity fit = fit_stream_capacity(config, 4096);
  BOOST_TEST(fit.error.find("STREAM_CAPACITY=5000 needs about 5131 open files, but the limit is 4096") == 0u,
             fit.error);
}

BOOST_AUTO_TEST_CASE(the_default_is_lowered_to_what_a_low_limit_carries) {
  Config config = https_worker();
  StreamCapacity fit = fit_stream_capacity(config, 1024);  // a container runtime's hard limit
  BOOST_TEST(fit.error.empty());
  BOOST_TEST(fit.lowered);
  BOOST_TEST(fit.capacity < 1000);
  BOOST_TEST(descriptors_needed(config, fit.capacity) <= 1024);
  BOOST_TEST(descriptors_needed(config, fit.capacity + 2) > 1024);  // and not much less
  config.anthropic_base_url = "http://127.0.0.1:9";  // plain HTTP: a connection per stream
  StreamCapacity plain = fit_stream_capacity(config, 1024);
  BOOST_TEST(descriptors_needed(config, plain.capacity) <= 1024);
  BOOST_TEST(plain.capacity < fit.capacity);
}
