// The /chat events' exact SSE framing (docs/architecture.md, "The /chat contract"): event
// names, JSON data that survives quotes, newlines and control bytes, the ping comment.
#define BOOST_TEST_MODULE chat_events
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "resume_chat/chat_events.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(each_event_has_its_name_and_json_data) {
  BOOST_TEST(token_event("Hel") == "event: token\ndata: {\"text\":\"Hel\"}\n\n");
  BOOST_TEST(error_event("Error: x") == "event: error\ndata: {\"message\":\"Error: x\"}\n\n");
  BOOST_TEST(done_event() == "event: done\ndata: {\"outcome\":\"complete\"}\n\n");
  BOOST_TEST(done_event("max_tokens") == "event: done\ndata: {\"outcome\":\"max_tokens\"}\n\n");
  BOOST_TEST(history_event(0) == "event: history\ndata: {\"omitted\":0}\n\n");
  BOOST_TEST(history_event(12) == "event: history\ndata: {\"omitted\":12}\n\n");
  BOOST_TEST(notice_event("Saving…") == "event: notice\ndata: {\"message\":\"Saving…\"}\n\n");
}

// A line break inside `data:` would end the field and split the event: text is escaped so
// every event is exactly two lines and a blank one, whatever Claude wrote.
BOOST_AUTO_TEST_CASE(text_never_breaks_the_framing) {
  const std::string event = token_event("a\"b\\c\nd\re\x01</script>");
  BOOST_TEST(std::count(event.begin(), event.end(), '\n') == 3);
  BOOST_TEST(event.find('\r') == std::string::npos);
  BOOST_TEST(event == "event: token\ndata: {\"text\":\"a\\\"b\\\\c\\nd\\re\\u0001</script>\"}\n\n");
  BOOST_TEST(error_event("line\nbreak").find("\\n") != std::string::npos);
  BOOST_TEST(notice_event("x\ny").find("x\ny") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(utf8_passes_through) {
  BOOST_TEST(token_event("h\xC3\xA9llo \xF0\x9F\x98\x80") ==
             "event: token\ndata: {\"text\":\"h\xC3\xA9llo \xF0\x9F\x98\x80\"}\n\n");
}

BOOST_AUTO_TEST_CASE(ping_is_a_comment_and_the_type_names_utf8) {
  BOOST_TEST(std::string(kPingComment) == ": ping\n\n");
  BOOST_TEST(std::string(kEventStreamType) == "text/event-stream; charset=utf-8");
}
