// Messages-API stream handling, on recorded streams (tests/data/streams/, captured from the
// simulator, plus the documented example): only text deltas of text blocks are text,
// usage is cumulative, completeness needs message_stop, any chunking gives the same text.
#define BOOST_TEST_MODULE claude_stream
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>


#include "resume_chat/claude_stream.h"
#include "support/recorded.h"

using namespace resume_chat;

namespace {

std::string recorded(const std::string& name) {
  std::string bytes = test_support::recorded_stream(name);
  BOOST_REQUIRE(!bytes.empty());
  return bytes;
}

struct Outcome {
  std::string text;
  bool complete = false;
  std::optional<ApiError> error;
  Usage usage;
  std::string stop_reason;
  int pieces = 0;
};

Outcome run(const std::vector<std::string>& chunks) {
  Outcome out;
  ClaudeStream stream([&](std::string_view t) {
    ++out.pieces;
    out.text += t;
    return true;
  });
  SseDecoder decoder;
  for (const auto& chunk : chunks) {
    if (!decoder.feed(chunk, [&](const SseEvent& e) { return stream.on_event(e); })) break;
  }
  out.complete = stream.complete();
  out.error = stream.error();
  out.usage = stream.usage();
  out.stop_reason = stream.stop_reason();
  return out;
}

SseEvent event(const std::string& type, const std::string& data) { return {type, data}; }

}  // namespace

BOOST_AUTO_TEST_CASE(documented_example) {
  Outcome out = run({recorded("documented")});
  BOOST_TEST(out.text == "Hello!");
  BOOST_TEST(out.complete);
  BOOST_TEST(out.usage.input_tokens == 25);
  BOOST_TEST(out.usage.output_tokens == 15);  // replaced, not 1 + 15
  BOOST_TEST(out.stop_reason == "end_turn");
}

BOOST_AUTO_TEST_CASE(thinking_tool_use_and_citations_are_not_text) {
  for (const char* name : {"thinking", "tool_use", "citations"}) {
    Outcome out = run({recorded(name)});
    BOOST_TEST(out.complete, name);
    BOOST_TEST(out.text.find("Thanks for sharing") == 0u, name);
    BOOST_TEST(out.text.find("SECRET THOUGHT") == std::string::npos);
    BOOST_TEST(out.text.find("TOOL INPUT") == std::string::npos);
    BOOST_TEST(out.text.find("NOT SHOWN") == std::string::npos);
  }
  BOOST_TEST(run({recorded("tool_use")}).stop_reason == "tool_use");
}

BOOST_AUTO_TEST_CASE(noise_and_crlf_give_the_same_text) {
  Outcome noise = run({recorded("noise")});
  BOOST_TEST(noise.complete);
  BOOST_TEST(noise.text == run({recorded("thinking")}).text);
  Outcome crlf = run({recorded("crlf")});
  BOOST_TEST(crlf.complete);
  BOOST_TEST(crlf.text.find("日本語") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(error_event_and_truncation_are_not_complete) {
  Outcome error = run({recorded("error-midstream")});
  BOOST_TEST(!error.complete);
  BOOST_REQUIRE(error.error);
  BOOST_TEST(error.error->type == "overloaded_error");
  BOOST_TEST(error.error->message == "Overloaded");
  BOOST_TEST(!error.text.empty());
  Outcome truncated = run({recorded("truncated")});
  BOOST_TEST(!truncated.complete);
  BOOST_TEST(!truncated.error);
  BOOST_TEST(!truncated.text.empty());
}

BOOST_AUTO_TEST_CASE(recorded_stream_at_every_split_point) {
  const std::string input = recorded("thinking");
  const Outcome whole = run({input});
  for (size_t at = 0; at <= input.size(); at += 1) {
    Outcome split = run({input.substr(0, at), input.substr(at)});
    BOOST_TEST(split.text == whole.text);
    BOOST_TEST(split.complete);
  }
  std::vector<std::string> bytes;
  for (char c : input) bytes.emplace_back(1, c);
  BOOST_TEST(run(bytes).text == whole.text);
}

BOOST_AUTO_TEST_CASE(text_block_at_a_later_index) {
  Outcome out;
  ClaudeStream stream([&](std::string_view t) { out.text += t; return true; });
  stream.on_event(event("content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})"));
  stream.on_event(event("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"not me"}})"));
  stream.on_event(event("content_block_start", R"({"type":"content_block_start","index":3,"content_block":{"type":"text","text":""}})"));
  stream.on_event(event("content_block_delta", R"({"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"caf\u00e9 \ud83d\ude00"}})"));
  stream.on_event(event("content_block_delta", R"({"type":"content_block_delta","index":9,"delta":{"type":"text_delta","text":"unknown block"}})"));
  BOOST_TEST(out.text == "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

BOOST_AUTO_TEST_CASE(unknown_events_and_malformed_known_ones) {
  ClaudeStream stream([](std::string_view) { return true; });
  BOOST_TEST(stream.on_event(event("future_event", "not even json")));
  BOOST_TEST(stream.on_event(event("content_block_stop", "{}")));
  BOOST_TEST(stream.on_event(event("ping", "")));
  BOOST_TEST(!stream.on_event(event("content_block_delta", "{broken")));
  BOOST_REQUIRE(stream.error());
  BOOST_TEST(stream.error()->type == "invalid_response");
}

BOOST_AUTO_TEST_CASE(sink_refusal_stops_and_keeps_only_what_was_shown) {
  int calls = 0;
  std::string shown;
  ClaudeStream stream([&](std::string_view text) {
    if (++calls >= 2) return false;
    shown += text;
    return true;
  });
  SseDecoder decoder;
  BOOST_TEST(!decoder.feed(recorded("documented"), [&](const SseEvent& e) { return stream.on_event(e); }));
  BOOST_TEST(calls == 2);  // nothing offered after the refusal
  BOOST_TEST(shown == "Hello");
  BOOST_TEST(!stream.complete());
  BOOST_TEST(!stream.error());
}

BOOST_AUTO_TEST_CASE(api_error_bodies) {
  ApiError e = parse_api_error(R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"},"request_id":"req_1"})");
  BOOST_TEST(e.type == "rate_limit_error");
  BOOST_TEST(e.message == "slow down");
  BOOST_TEST(parse_api_error("<html>bad gateway</html>").type.empty());
}
