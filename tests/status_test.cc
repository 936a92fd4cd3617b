// Status and Result<T>: ok or a message, a value or the status that says why not.
#define BOOST_TEST_MODULE status
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <memory>

#include "resume_chat/status.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(a_default_status_is_ok_without_a_message) {
  BOOST_TEST(Status().ok());
  BOOST_TEST(Status::Ok().ok());
  BOOST_TEST(Status::Ok().message().empty());
}

BOOST_AUTO_TEST_CASE(an_error_carries_its_message_even_an_empty_one) {
  Status failed = Status::Error("connection refused");
  BOOST_TEST(!failed.ok());
  BOOST_TEST(failed.message() == "connection refused");
  BOOST_TEST(!Status::Error("").ok());  // failure is a flag, not a non-empty message
}

BOOST_AUTO_TEST_CASE(a_result_has_a_value_or_a_status) {
  Result<int> value = 42;
  BOOST_TEST(value.ok());
  BOOST_TEST(value.value() == 42);
  BOOST_TEST(value.status().ok());
  Result<int> failed = Status::Error("timed out");
  BOOST_TEST(!failed.ok());
  BOOST_TEST(failed.status().message() == "timed out");
}

BOOST_AUTO_TEST_CASE(a_result_holds_move_only_values) {
  struct Box {
    std::unique_ptr<int> p;
  };
  Result<Box> box = Box{std::make_unique<int>(7)};
  BOOST_REQUIRE(box.ok());
  BOOST_TEST(*box->p == 7);
  std::unique_ptr<int> taken = std::move(box.value().p);
  BOOST_TEST(*taken == 7);
}
