// The Messages API client: request body, retry policy (pure functions), and real streams
// from the simulator for each scenario: text, outcome, retries, cancellation.
#define BOOST_TEST_MODULE claude_client
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include <chrono>

#include "resume_chat/claude_client.h"
#include "support/simulator.h"

using namespace resume_chat;

namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};
BOOST_TEST_GLOBAL_FIXTURE(CurlGlobal);

ClaudeConfig config_for(const std::string& url, const std::string& key = "sk-ant-sim-local") {
  ClaudeConfig config;
  config.base_url = url;
  config.api_key = key;
  config.model = "claude-haiku-4-5-20251001";
  config.max_tokens = 256;
  config.idle_timeout_s = 2;
  return config;
}

struct Run {
  Reply reply;
  std::string seen;
  int pieces = 0;
};

Run ask(ClaudeClient& client, const std::string& message, std::atomic<bool>* cancel = nullptr,
        int refuse_after = -1) {
  Run run;
  run.reply = client.stream("You are a test.", {{"user", message}},
                            [&](std::string_view t) {
                              if (refuse_after >= 0 && run.pieces >= refuse_after) return false;
                              ++run.pieces;
                              run.seen += t;
                              return true;
                            },
                            cancel);
  return run;
}

}  // namespace

BOOST_AUTO_TEST_CASE(request_body_is_valid_json_with_every_field) {
  ClaudeConfig config = config_for("http://x");
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

BOOST_AUTO_TEST_CASE(retry_decisions_follow_the_sdks) {
  RetryHints none;
  for (long status : {408L, 409L, 429L, 500L, 502L, 503L, 529L}) {
    BOOST_TEST(should_retry(status, false, none), status);
  }
  for (long status : {400L, 401L, 403L, 404L, 413L, 422L}) {
    BOOST_TEST(!should_retry(status, false, none), status);
  }
  BOOST_TEST(should_retry(0, true, none));
  BOOST_TEST(!should_retry(529, false, RetryHints{"false", "", ""}));
  BOOST_TEST(should_retry(400, false, RetryHints{"true", "", ""}));
}

BOOST_AUTO_TEST_CASE(retry_delays_honour_headers_then_back_off) {
  BOOST_TEST(retry_delay_ms(0, RetryHints{"", "250", "9"}, 0) == 250);
  BOOST_TEST(retry_delay_ms(0, RetryHints{"", "", "2"}, 0) == 2000);
  BOOST_TEST(retry_delay_ms(0, RetryHints{"", "", "1.5"}, 0) == 1500);
  // Out of (0, 60] → backoff: 0.5 s doubling, capped at 8 s, minus up to 25 % jitter.
  BOOST_TEST(retry_delay_ms(0, RetryHints{"", "", "0"}, 0) == 500);
  BOOST_TEST(retry_delay_ms(1, RetryHints{"", "", "120"}, 0) == 1000);
  BOOST_TEST(retry_delay_ms(2, RetryHints{}, 1.0) == 1500);
  BOOST_TEST(retry_delay_ms(10, RetryHints{}, 0) == 8000);
}

BOOST_AUTO_TEST_CASE(api_key_check) {
  test_support::Simulator sim;
  BOOST_TEST((check_api_key(config_for(sim.url())).status == KeyStatus::kValid));
  KeyCheck bad = check_api_key(config_for(sim.url(), "sk-ant-wrong"));
  BOOST_TEST((bad.status == KeyStatus::kInvalid));
  BOOST_TEST(bad.http_status == 401);
  BOOST_TEST((check_api_key(config_for("http://127.0.0.1:1"), 2).status == KeyStatus::kUnreachable));
}

BOOST_AUTO_TEST_CASE(complete_streams_in_every_wire_format) {
  test_support::Simulator sim;
  ClaudeClient client(config_for(sim.url()));
  const Run normal = ask(client, "hi");
  BOOST_TEST((normal.reply.status == ReplyStatus::kComplete));
  BOOST_TEST(normal.pieces > 20);
  BOOST_TEST(normal.reply.text == normal.seen);
  BOOST_TEST(normal.reply.stop_reason == "end_turn");
  BOOST_TEST(normal.reply.usage.output_tokens > 1);
  BOOST_TEST(normal.reply.request_id.rfind("req_sim_", 0) == 0u);
  const Run unicode = ask(client, "[sim:unicode]");
  for (const char* scenario : {"[sim:tiny-chunks]", "[sim:crlf]", "[sim:cr]"}) {
    Run run = ask(client, scenario);
    BOOST_TEST((run.reply.status == ReplyStatus::kComplete), scenario);
    BOOST_TEST(run.seen == unicode.seen, scenario);
  }
  for (const char* scenario : {"[sim:noise]", "[sim:thinking]", "[sim:tool_use]", "[sim:citations]"}) {
    Run run = ask(client, scenario);
    BOOST_TEST((run.reply.status == ReplyStatus::kComplete), scenario);
    BOOST_TEST(run.seen == normal.seen, scenario);
  }
  BOOST_TEST(ask(client, "[sim:echo] x").seen == "echo: 1 messages; last: [sim:echo] x");
}

BOOST_AUTO_TEST_CASE(broken_streams_keep_their_partial_text) {
  test_support::Simulator sim;
  ClaudeClient client(config_for(sim.url()));
  struct Case { const char* message; ReplyStatus status; };
  for (Case c : {Case{"[sim:error-midstream]", ReplyStatus::kApiError},
                 Case{"[sim:drop]", ReplyStatus::kIncomplete},
                 Case{"[sim:reset]", ReplyStatus::kIncomplete},
                 Case{"[sim:truncated]", ReplyStatus::kIncomplete}}) {
    Run run = ask(client, c.message);
    BOOST_TEST((run.reply.status == c.status), c.message << ": " << describe(run.reply));
    BOOST_TEST(!run.reply.text.empty(), c.message);
    BOOST_TEST(run.reply.text == run.seen);
    BOOST_TEST(run.reply.retries == 0, c.message);  // text was shown: never retried
  }
  BOOST_TEST(ask(client, "[sim:error-midstream]").reply.error_type == "overloaded_error");
}

BOOST_AUTO_TEST_CASE(http_errors_retry_only_when_allowed) {
  test_support::Simulator sim;
  ClaudeClient client(config_for(sim.url()));
  Run flaky = ask(client, "[sim:flaky-529]");
  BOOST_TEST((flaky.reply.status == ReplyStatus::kComplete));
  BOOST_TEST(flaky.reply.retries == 1);
  Run overloaded = ask(client, "[sim:http-529]");
  BOOST_TEST((overloaded.reply.status == ReplyStatus::kApiError));
  BOOST_TEST(overloaded.reply.retries == 2);
  BOOST_TEST(overloaded.reply.http_status == 529);
  BOOST_TEST(overloaded.reply.error_type == "overloaded_error");
  Run bad_request = ask(client, "[sim:http-400]");
  BOOST_TEST(bad_request.reply.retries == 0);
  BOOST_TEST(bad_request.reply.error_type == "invalid_request_error");
  BOOST_TEST(ask(client, "[sim:should-not-retry]").reply.retries == 0);
  BOOST_TEST(ask(client, "[sim:http-401]").reply.http_status == 401);
}

BOOST_AUTO_TEST_CASE(unreachable_and_stalled_upstreams_end) {
  ClaudeClient nowhere(config_for("http://127.0.0.1:1"));
  Run unreachable = ask(nowhere, "hi");
  BOOST_TEST((unreachable.reply.status == ReplyStatus::kUnreachable));
  BOOST_TEST(unreachable.reply.retries == 2);
  test_support::Simulator sim;
  ClaudeConfig quick = config_for(sim.url());
  quick.max_retries = 0;
  ClaudeClient client(quick);
  Run stalled = ask(client, "[sim:stall]");  // the simulator would stay silent for 120 s
  BOOST_TEST((stalled.reply.status == ReplyStatus::kTimedOut), describe(stalled.reply));
}

BOOST_AUTO_TEST_CASE(sink_refusal_and_cancel_abort_the_transfer) {
  test_support::Simulator sim("--token-delay-ms 50");
  ClaudeClient client(config_for(sim.url()));
  Run refused = ask(client, "hi", nullptr, 3);
  BOOST_TEST((refused.reply.status == ReplyStatus::kCancelled));
  BOOST_TEST(refused.pieces == 3);
  BOOST_TEST(refused.reply.text == refused.seen);
  std::atomic<bool> cancel{true};
  Run cancelled = ask(client, "[sim:stall]", &cancel);
  BOOST_TEST((cancelled.reply.status == ReplyStatus::kCancelled));
  // The handle is reusable after aborts.
  BOOST_TEST((ask(client, "hi").reply.status == ReplyStatus::kComplete));
}
