// /chat body validation: each bad input gets its status and a clear message.
#define BOOST_TEST_MODULE chat_request
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/chat_request.h"

using namespace resume_chat;

namespace {
ChatRequestParse parse(const std::string& body, const std::string& type = "application/json") {
  return parse_chat_request(type, body, 10);
}
}  // namespace

BOOST_AUTO_TEST_CASE(valid_request) {
  auto r = parse(R"({"session":"tok","message":"h\u00e9llo\nyo","extra":1})");
  BOOST_REQUIRE(r.request);
  BOOST_TEST(r.request->session_token == "tok");
  BOOST_TEST(r.request->message == "h\xC3\xA9llo\nyo");
}

BOOST_AUTO_TEST_CASE(content_type_variants) {
  BOOST_TEST(is_json_content_type("application/json"));
  BOOST_TEST(is_json_content_type("Application/JSON; charset=utf-8"));
  BOOST_TEST(!is_json_content_type("text/plain"));
  BOOST_TEST(!is_json_content_type("application/jsonx"));
  BOOST_TEST(parse(R"({"session":"t","message":"m"})", "text/plain").status == 415);
}

BOOST_AUTO_TEST_CASE(refusals_have_statuses) {
  struct Case { const char* body; int status; };
  for (Case c : {Case{"", 400}, Case{"not json", 400}, Case{"[1,2]", 400}, Case{"\"s\"", 400},
                 Case{"{}", 400}, Case{R"({"message":"m"})", 400},
                 Case{R"({"session":"t"})", 400}, Case{R"({"session":1,"message":"m"})", 400},
                 Case{R"({"session":"t","message":5})", 400},
                 Case{R"({"session":"t","message":"   \n"})", 400},
                 Case{R"({"session":"t","message":"a\u0000b"})", 400},
                 Case{R"({"session":"t","message":"a\u0007b"})", 400},
                 Case{R"({"session":"t","message":"\ud800"})", 400},
                 Case{R"({"session":"t","message":"12345678901"})", 413}}) {
    auto r = parse(c.body);
    BOOST_TEST(!r.request, c.body);
    BOOST_TEST(r.status == c.status, c.body);
    BOOST_TEST(r.error.rfind("Error: ", 0) == 0u);
  }
}

BOOST_AUTO_TEST_CASE(invalid_utf8_bytes_are_400) {
  auto r = parse(std::string("{\"session\":\"t\",\"message\":\"a\xFF\"}"));
  BOOST_TEST(!r.request);
  BOOST_TEST(r.status == 400);
}

BOOST_AUTO_TEST_CASE(length_counts_characters_not_bytes) {
  BOOST_TEST(parse("{\"session\":\"t\",\"message\":\"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                   "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\"}").request.has_value());
}

BOOST_AUTO_TEST_CASE(regenerate_is_an_optional_boolean) {
  BOOST_TEST(!parse(R"({"session":"t","message":"m"})").request->regenerate);
  BOOST_TEST(parse(R"({"session":"t","message":"m","regenerate":true})").request->regenerate);
  BOOST_TEST(!parse(R"({"session":"t","message":"m","regenerate":false})").request->regenerate);
  for (const char* body : {R"({"session":"t","message":"m","regenerate":"true"})",
                           R"({"session":"t","message":"m","regenerate":1})",
                           R"({"session":"t","message":"m","regenerate":null})"}) {
    auto r = parse(body);
    BOOST_TEST(!r.request, body);
    BOOST_TEST(r.status == 400);
    BOOST_TEST(r.error == "Error: \"regenerate\" must be true or false.");
  }
}
