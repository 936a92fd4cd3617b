// /chat body validation: each bad input gets its status and a clear message.
#define BOOST_TEST_MODULE chat_request
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <pthread.h>

#include <string>

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

// RapidJSON reads a NUL byte as the end of its input: what follows must not be ignored.
BOOST_AUTO_TEST_CASE(a_nul_byte_anywhere_is_400) {
  const std::string valid = R"({"session":"t","message":"m"})";
  BOOST_REQUIRE(parse(valid).request);
  for (const std::string& body : {valid + std::string(1, '\0') + "junk", valid + std::string(1, '\0'),
                                  std::string(1, '\0') + valid,
                                  std::string(R"({"session":"t",)") + '\0' + R"("message":"m"})"}) {
    auto r = parse(body);
    BOOST_TEST(!r.request);
    BOOST_TEST(r.status == 400);
    BOOST_TEST(r.error == "Error: The request body contains a NUL byte.");
  }
}

// Which of two values would count is an accident of the parser: neither does.
BOOST_AUTO_TEST_CASE(a_repeated_key_in_any_object_is_400) {
  for (const char* body : {R"({"session":"t","message":"a","message":"b"})",
                           R"({"session":"t","session":"u","message":"m"})",
                           R"({"session":"t","message":"m","x":{"k":1,"k":2}})",
                           R"({"session":"t","message":"m","x":[{"k":1},{"k":1,"k":1}]})"}) {
    auto r = parse(body);
    BOOST_TEST(!r.request, body);
    BOOST_TEST(r.status == 400, body);
    BOOST_TEST(r.error == "Error: The request body repeats a field.", body);
  }
  // The same key in two different objects is no repetition.
  BOOST_TEST(parse(R"({"session":"t","message":"m","x":[{"k":1},{"k":2}],"k":3})").request.has_value());
}

namespace {
std::string nested(size_t arrays) {
  return R"({"session":"t","message":"m","x":)" + std::string(arrays, '[') +
         std::string(arrays, ']') + "}";
}

// Runs the parse on a thread with a small stack: a recursive parser overflows it on deep
// input (a worker thread's stack is only so big).
ChatRequestParse parse_on_small_stack(const std::string& body) {
  struct Job {
    const std::string* body;
    ChatRequestParse result;
  } job{&body, {}};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 128 * 1024);
  pthread_t thread;
  int started = pthread_create(
      &thread, &attr,
      [](void* arg) -> void* {
        auto* j = static_cast<Job*>(arg);
        j->result = parse(*j->body);
        return nullptr;
      },
      &job);
  pthread_attr_destroy(&attr);
  BOOST_REQUIRE(started == 0);
  pthread_join(thread, nullptr);
  return job.result;
}
}  // namespace

BOOST_AUTO_TEST_CASE(nesting_is_capped_and_never_recursed) {
  // The root object is depth 1: kMaxChatJsonDepth - 1 arrays inside it still pass.
  BOOST_TEST(parse(nested(kMaxChatJsonDepth - 1)).request.has_value());
  auto r = parse(nested(kMaxChatJsonDepth));
  BOOST_TEST(!r.request);
  BOOST_TEST(r.error == "Error: The request body is nested too deeply.");
  // The largest body the worker reads (MAX_MESSAGE_CHARS 8000: 100,096 bytes), all nesting.
  const size_t body_limit = 8000 * 12 + 4096;
  for (const std::string& deep :
       {std::string(body_limit, '['), "{\"x\":" + std::string(body_limit - 5, '['),
        "{\"x\":" + [&] {
          std::string objects;
          while (objects.size() + 6 < body_limit) objects += "{\"a\":";
          return objects;
        }()}) {
    auto deep_result = parse_on_small_stack(deep);
    BOOST_TEST(!deep_result.request);
    BOOST_TEST(deep_result.status == 400);
  }
}
