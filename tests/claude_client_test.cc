// The Messages API's side of a reply without any I/O: the request body, one attempt read
// from raw header lines and body bytes (recorded streams, every chunking), error bodies,
// and what each outcome means to the user.
#define BOOST_TEST_MODULE claude_client
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>


#include "resume_chat/claude_client.h"
#include "resume_chat/user_texts.h"
#include "support/recorded.h"

using namespace resume_chat;

namespace {

std::string recorded(const std::string& name) {
  std::string bytes = test_support::recorded_stream(name);
  BOOST_REQUIRE(!bytes.empty());
  return bytes;
}

struct Fed {
  Reply reply;
  std::string seen;
  long status = 0;
  RetryHints hints;
};

// One attempt: the header lines, then the body in chunks of `chunk` bytes.
Fed feed(const std::vector<std::string>& headers, const std::string& body, size_t chunk = 4096,
         const std::string& transfer_error = "", bool timed_out = false) {
  Fed fed;
  ApiAttempt attempt([&](std::string_view text) {
    fed.seen += text;
    return true;
  });
  for (const auto& line : headers) attempt.on_header_line(line + "\r\n");
  for (size_t at = 0; at < body.size(); at += chunk) {
    if (!attempt.on_body(std::string_view(body).substr(at, chunk))) break;
  }
  attempt.classify(transfer_error, timed_out, fed.reply);
  fed.status = attempt.http_status();
  fed.hints = attempt.hints();
  return fed;
}

const std::vector<std::string> kOk = {"HTTP/2 200", "content-type: text/event-stream",
                                      "request-id: req_123"};

}  // namespace

BOOST_AUTO_TEST_CASE(request_body_is_valid_json_with_every_field) {
  ClaudeConfig config;
  config.model = "claude-haiku-4-5-20251001";
  config.max_tokens = 256;
  std::string body = build_messages_body(
      config, "sys \"quoted\" R&D <Team>\n",
      {{"user", "a\tb\x01 \xE6\x97\xA5 \"q\" \\"}, {"assistant", "reply"}, {"user", "next"}});
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  BOOST_TEST(doc["model"].GetString() == std::string("claude-haiku-4-5-20251001"));
  BOOST_TEST(doc["max_tokens"].GetInt() == 256);
  BOOST_TEST(doc["stream"].GetBool());
  // The system prompt and the last turn carry the two cache breakpoints.
  BOOST_TEST(doc["system"][0]["text"].GetString() == std::string("sys \"quoted\" R&D <Team>\n"));
  BOOST_TEST(doc["system"][0]["cache_control"]["type"].GetString() == std::string("ephemeral"));
  BOOST_TEST(doc["messages"].Size() == 3u);
  BOOST_TEST(doc["messages"][0]["content"].GetString() ==
             std::string("a\tb\x01 \xE6\x97\xA5 \"q\" \\"));
  BOOST_TEST(doc["messages"][1]["role"].GetString() == std::string("assistant"));
  BOOST_TEST(doc["messages"][2]["content"][0]["text"].GetString() == std::string("next"));
  BOOST_TEST(doc["messages"][2]["content"][0]["cache_control"]["type"].GetString() ==
             std::string("ephemeral"));
}

BOOST_AUTO_TEST_CASE(api_headers_are_the_documented_ones) {
  ClaudeConfig config;
  config.api_key = "sk-test";
  auto lines = api_header_lines(config);
  BOOST_TEST(lines[0] == "x-api-key: sk-test");
  BOOST_TEST(lines[1] == "anthropic-version: 2023-06-01");
  BOOST_TEST(lines[2] == "content-type: application/json");
}

BOOST_AUTO_TEST_CASE(a_complete_stream_whatever_the_chunking) {
  const std::string body = recorded("documented");
  const Fed whole = feed(kOk, body);
  BOOST_TEST((whole.reply.status == ReplyStatus::kComplete));
  BOOST_TEST(whole.reply.request_id == "req_123");
  BOOST_TEST(whole.reply.stop_reason == "end_turn");
  BOOST_TEST(!whole.seen.empty());
  for (size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
    const Fed split = feed(kOk, body, chunk);
    BOOST_TEST((split.reply.status == ReplyStatus::kComplete), chunk);
    BOOST_TEST(split.seen == whole.seen, chunk);
  }
  BOOST_TEST((feed({"HTTP/1.1 200 OK"}, recorded("crlf")).reply.status == ReplyStatus::kComplete));
}

BOOST_AUTO_TEST_CASE(broken_streams_are_incomplete_or_errors) {
  Fed truncated = feed(kOk, recorded("truncated"));
  BOOST_TEST((truncated.reply.status == ReplyStatus::kIncomplete));
  BOOST_TEST(truncated.reply.error_message == "stream ended without message_stop");
  Fed dropped = feed(kOk, recorded("truncated"), 4096, "Stream error in the HTTP/2 framing layer");
  BOOST_TEST(dropped.reply.error_message == "Stream error in the HTTP/2 framing layer");
  Fed midstream = feed(kOk, recorded("error-midstream"));
  BOOST_TEST((midstream.reply.status == ReplyStatus::kApiError));
  BOOST_TEST(midstream.reply.error_type == "overloaded_error");
  BOOST_TEST(!midstream.seen.empty());
  Fed silent = feed(kOk, recorded("truncated"), 4096, "", /*timed_out=*/true);
  BOOST_TEST((silent.reply.status == ReplyStatus::kTimedOut));
}

BOOST_AUTO_TEST_CASE(error_statuses_keep_the_api_error_and_retry_hints) {
  Fed overloaded = feed({"HTTP/2 529", "x-should-retry: false", "retry-after-ms: 250",
                         "retry-after: 3", "request-id: req_9"},
                        R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  BOOST_TEST(overloaded.status == 529);
  BOOST_TEST((overloaded.reply.status == ReplyStatus::kApiError));
  BOOST_TEST(overloaded.reply.error_type == "overloaded_error");
  BOOST_TEST(overloaded.reply.error_message == "Overloaded");
  BOOST_TEST(overloaded.hints.should_retry == "false");
  BOOST_TEST(overloaded.hints.retry_after_ms == "250");
  BOOST_TEST(overloaded.hints.retry_after == "3");
  BOOST_TEST(overloaded.seen.empty());
  Fed html = feed({"HTTP/1.1 502 Bad Gateway"}, "<html>bad gateway</html>");
  BOOST_TEST(html.reply.error_type == "http_502");
  // A 100 Continue before the real response does not count.
  BOOST_TEST(feed({"HTTP/1.1 100 Continue", "", "HTTP/1.1 401 Unauthorized"}, "{}").status == 401);
}

BOOST_AUTO_TEST_CASE(no_response_is_unreachable_or_silent) {
  Fed refused = feed({}, "", 4096, "Couldn't connect to server");
  BOOST_TEST((refused.reply.status == ReplyStatus::kUnreachable));
  BOOST_TEST(refused.reply.error_message == "Couldn't connect to server");
  Fed silent = feed({}, "", 4096, "", /*timed_out=*/true);
  BOOST_TEST((silent.reply.status == ReplyStatus::kTimedOut));
}

BOOST_AUTO_TEST_CASE(each_outcome_has_its_message) {
  Reply reply;
  reply.status = ReplyStatus::kComplete;
  BOOST_TEST(reply_error_text(reply).empty());
  reply.status = ReplyStatus::kUnreachable;
  BOOST_TEST(reply_error_text(reply) == kErrorClaudeApi);
  reply.status = ReplyStatus::kApiError;
  reply.http_status = 401;
  BOOST_TEST(reply_error_text(reply) == kErrorClaudeApi);
  reply.http_status = 529;
  BOOST_TEST(reply_error_text(reply).find("overloaded") != std::string::npos);
  reply.status = ReplyStatus::kCancelled;
  reply.cancel_reason = CancelReason::kShutdown;
  BOOST_TEST(reply_error_text(reply).find("restarting") != std::string::npos);
  reply.cancel_reason = CancelReason::kClientGone;
  BOOST_TEST(reply_error_text(reply) == "Error: The reply was stopped.");
  reply.status = ReplyStatus::kTimedOut;
  BOOST_TEST(reply_error_text(reply).find("stopped responding") != std::string::npos);
  BOOST_TEST(describe(reply).rfind("timed_out", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(error_texts_carry_no_internal_codes) {
  Reply reply;
  reply.status = ReplyStatus::kApiError;
  for (int status : {400, 404, 500, 502, 503}) {
    reply.http_status = status;
    reply.error_type = "http_" + std::to_string(status);
    std::string text = reply_error_text(reply);
    BOOST_TEST(text.find("http_") == std::string::npos, text);
    BOOST_TEST(text.find(std::to_string(status)) == std::string::npos, text);
    BOOST_TEST(text.find("try again") != std::string::npos, text);
  }
  reply.http_status = 400;
  reply.error_type = "invalid_request_error";
  BOOST_TEST(reply_error_text(reply).find("invalid_request") == std::string::npos);
}
