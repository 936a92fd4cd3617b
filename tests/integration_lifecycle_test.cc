// A reply's life end to end, through nginx, the worker, the simulator over TLS and
// PostgreSQL (scripts/test-stack): how each reply ends is stored as what it is (what the
// reader was given, with its outcome), `done` follows the store, history tells Claude the
// truth about unfinished replies, usage counts what streamed, Retry supersedes, and the
// budget's admission holds under a burst of chats.
#define BOOST_TEST_MODULE integration_lifecycle
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "resume_chat/chat_store.h"
#include "resume_chat/reply_writer.h"
#include "resume_chat/session_token.h"
#include "support/chat.h"

using namespace test_support;
using resume_chat::ChatStartVerdict;

namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};
BOOST_TEST_GLOBAL_FIXTURE(CurlGlobal);

// Posts `message` and reads the stream until `tokens` token events have arrived, then leaves
// as a browser's Stop does (the connection closes). Returns the reply text it was given.
std::string stop_after(const std::string& token, const std::string& message, int tokens) {
  struct Reader {
    std::string body;
    int wanted;
  } reader{"", tokens};
  CURL* curl = curl_easy_init();
  const std::string url = base_url() + "/chat";
  const std::string body =
      "{\"session\":" + json_string(token) + ",\"message\":" + json_string(message) + "}";
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reader);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION,
                   +[](char* data, size_t size, size_t n, void* user) -> size_t {
                     auto* r = static_cast<Reader*>(user);
                     r->body.append(data, size * n);
                     int seen = 0;
                     for (const Event& e : events_of(r->body)) seen += e.name == "token";
                     return seen >= r->wanted ? 0 : size * n;  // 0: abort, as Stop does
                   });
  curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply_text(events_of(reader.body));
}

// The session's assistant rows (contents, outcome), once `count` are there (the writer
// stores within a round trip or two of a reply's end).
Rows replies_of(const std::string& token, size_t count = 1) {
  Rows rows;
  for (int i = 0; i < 100; ++i) {
    rows = sql("SELECT contents, COALESCE(outcome, ''), superseded_at IS NOT NULL FROM chats "
               "WHERE session_uuid = $1 AND message_type = 'assistant' ORDER BY id",
               {uuid_of(token)});
    if (rows.size() >= count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return rows;
}

long long output_tokens_today() {
  return std::stoll(sql_value("SELECT COALESCE((SELECT output_tokens FROM token_usage WHERE day = "
                              "(now() AT TIME ZONE 'UTC')::date), 0)"));
}

std::string steady_text() {
  std::string text;
  for (int i = 0; i < 400; ++i) text += (i ? " word" : "word") + std::to_string(i);
  return text;
}

std::string last_request_to_claude() {
  return http({"GET", env("SIM_URL") + "/_sim/requests", "", {}, 10}).body;
}


}  // namespace

BOOST_AUTO_TEST_CASE(a_stopped_reply_is_stored_as_stopped_as_far_as_the_reader_got_and_counted) {
  const std::string token = session_token();
  const long long before = output_tokens_today();
  const int n = 60;
  const std::string seen = stop_after(token, "[sim:steady]", n);
  Rows rows = replies_of(token);
  BOOST_REQUIRE(rows.size() == 1u);
  const std::string& stored = rows[0][0];
  BOOST_TEST(rows[0][1] == "stopped");
  BOOST_TEST(stored.rfind(seen, 0) == 0u, "what the reader got is where the stored text starts");
  BOOST_TEST(steady_text().rfind(stored, 0) == 0u, "what is stored is what was written, no more");
  BOOST_TEST(stored.size() < steady_text().size());
  const long long counted = output_tokens_today() - before;
  BOOST_TEST_MESSAGE("stopped after " << n << " tokens: " << stored.size() << " bytes stored, "
                                      << counted << " output tokens counted");
  BOOST_TEST(counted >= n / 2);
}

BOOST_AUTO_TEST_CASE(claude_hears_that_an_unfinished_reply_did_not_finish) {
  const std::string token = session_token();
  stop_after(token, "[sim:steady]", 20);
  BOOST_REQUIRE(replies_of(token).size() == 1u);
  http({"DELETE", env("SIM_URL") + "/_sim/requests", "", {}, 10});
  BOOST_TEST(done(post_chat(token, "go on [sim:echo]")));
  const std::string request = last_request_to_claude();
  BOOST_TEST(contains(request, "[This reply was stopped by the user before it finished.]"),
             request.substr(0, 1500));
}

BOOST_AUTO_TEST_CASE(done_follows_the_store_and_says_how_the_reply_ended) {
  const std::string token = session_token();
  HttpResponse r = post_chat(token, "What should I improve first?");
  BOOST_REQUIRE(done(r));
  BOOST_TEST(events_of(r.body).back().data == "{\"outcome\":\"complete\"}");
  // No polling: the row is there the moment `done` has been read.
  Rows rows = sql("SELECT contents, outcome FROM chats WHERE session_uuid = $1 AND "
                  "message_type = 'assistant'", {uuid_of(token)});
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0][0] == reply_text(events_of(r.body)));
  BOOST_TEST(rows[0][1] == "complete");
  BOOST_TEST(sql_value("SELECT streaming_reply IS NULL FROM sessions WHERE session_uuid = $1",
                       {uuid_of(token)}) == "t");
}

BOOST_AUTO_TEST_CASE(every_way_a_reply_ends_has_its_outcome) {
  struct Case {
    const char* message;
    const char* outcome;
    bool done;
  };
  for (Case c : {Case{"[sim:max-tokens]", "max_tokens", true},
                 Case{"[sim:error-midstream]", "failed", false},
                 Case{"[sim:drop]", "failed", false}}) {
    const std::string token = session_token();
    HttpResponse r = post_chat(token, c.message);
    BOOST_TEST(done(r) == c.done, c.message);
    Rows rows = replies_of(token);
    BOOST_REQUIRE(rows.size() == 1u);
    BOOST_TEST(rows[0][1] == c.outcome, c.message);
    BOOST_TEST(rows[0][0] == reply_text(events_of(r.body)), c.message);
  }
}

// Retry (regenerate) answers the newest question again: stored once, the earlier answer kept
// and superseded, so history sends only the new one.
BOOST_AUTO_TEST_CASE(retry_supersedes_the_answer_and_stores_the_question_once) {
  const std::string token = session_token();
  BOOST_TEST(!done(post_chat(token, "Q [sim:error-midstream]")));
  HttpResponse again = http({"POST", base_url() + "/chat",
                             "{\"session\":" + json_string(token) +
                                 ",\"message\":\"Q [sim:error-midstream]\",\"regenerate\":true}",
                             {"Content-Type: application/json"}, 60});
  BOOST_TEST(!done(again));
  Rows rows = sql("SELECT message_type, superseded_at IS NOT NULL, COALESCE(outcome, '') FROM chats "
                  "WHERE session_uuid = $1 ORDER BY id", {uuid_of(token)});
  BOOST_REQUIRE(rows.size() == 3u);
  BOOST_TEST((rows[0] == std::vector<std::string>{"user", "f", ""}));
  BOOST_TEST((rows[1] == std::vector<std::string>{"assistant", "t", "failed"}));
  BOOST_TEST((rows[2] == std::vector<std::string>{"assistant", "f", "failed"}));
  BOOST_TEST(sql_value("SELECT document_name FROM sessions WHERE session_uuid = $1",
                       {uuid_of(token)}) == "demo");
}

// 30 chats admitted at once with 300 tokens of headroom: the reservation is in the statement
// that checks it, so one is admitted (overshoot: at most that one reply), and its real usage
// settles the reservation when the reply is stored.
BOOST_AUTO_TEST_CASE(the_budget_holds_under_a_burst_of_chats) {
  const auto reserved_now = [] {
    return std::stoll(sql_value("SELECT COALESCE((SELECT reserved_tokens FROM token_usage WHERE "
                                "day = (now() AT TIME ZONE 'UTC')::date), 0)"));
  };
  // A day row exists (other tests have used tokens); what is used and reserved now:
  resume_chat::DbPool pool(stack_database(30, 10000));
  sql("INSERT INTO token_usage (day) VALUES ((now() AT TIME ZONE 'UTC')::date) ON CONFLICT DO NOTHING");
  const long long used = std::stoll(sql_value(
      "SELECT input_tokens + cache_creation_tokens + cache_read_tokens + output_tokens + "
      "reserved_tokens FROM token_usage WHERE day = (now() AT TIME ZONE 'UTC')::date"));
  const long long reserved_before = reserved_now();
  std::vector<std::future<resume_chat::Result<resume_chat::ChatStart>>> starts;
  std::vector<std::string> replies;
  std::vector<std::string> sessions;
  for (int i = 0; i < 30; ++i) {
    resume_chat::ChatStartRequest r;
    r.session_uuid = resume_chat::new_uuid4();
    r.document_name = "demo";
    r.reply_uuid = resume_chat::new_uuid4();
    r.question = "burst " + std::to_string(i);
    r.max_tokens = 2048;
    r.daily_budget = used + 300;
    r.history_bytes = 128000;
    sessions.push_back(r.session_uuid);
    replies.push_back(r.reply_uuid);
    starts.push_back(std::async(std::launch::async, [&pool, r] { return resume_chat::start_chat(pool, r); }));
  }
  std::vector<resume_chat::Result<resume_chat::ChatStart>> results;
  for (auto& start : starts) results.push_back(start.get());  // all in, before any settles
  int admitted = 0, refused = 0;
  resume_chat::ReplyWriter writer(pool);
  std::atomic<int> stored{0};
  for (size_t i = 0; i < results.size(); ++i) {
    auto& start = results[i];
    BOOST_REQUIRE_MESSAGE(start.ok(), start.status().message());
    if (start->verdict == ChatStartVerdict::kOverBudget) {
      ++refused;
      continue;
    }
    BOOST_TEST((start->verdict == ChatStartVerdict::kStarted));
    ++admitted;
    BOOST_TEST(start->reserved >= 2048);
    resume_chat::ReplyRecord record;
    record.reply_uuid = replies[i];
    record.session_uuid = sessions[i];
    record.contents = "an answer";
    record.usage = {100, 20, 0, 0};
    record.reserved = start->reserved;
    record.reserved_day = start->reserved_day;
    writer.submit(record, [&stored](const resume_chat::Status& s) { stored += s.ok(); });
  }
  writer.stop(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  BOOST_TEST(admitted == 1);
  BOOST_TEST(refused == 29);
  BOOST_TEST(stored.load() == admitted);
  BOOST_TEST(reserved_now() == reserved_before, "the reservation is settled by the usage");
}

// The session is claimed in the database, so a second question while a reply streams is
// refused whichever worker it reaches; the claim ends with the reply's row.
BOOST_AUTO_TEST_CASE(a_session_streams_one_reply_at_a_time_in_the_database) {
  const std::string token = session_token();
  const std::string session = uuid_of(token);
  resume_chat::DbPool pool(stack_database(2, 10000));
  resume_chat::ChatStartRequest r;
  r.session_uuid = session;
  r.document_name = "demo";
  r.reply_uuid = resume_chat::new_uuid4();
  r.question = "on another worker";
  r.history_bytes = 128000;
  auto elsewhere = resume_chat::start_chat(pool, r);  // as another worker would
  BOOST_REQUIRE(elsewhere.ok());
  BOOST_REQUIRE((elsewhere->verdict == ChatStartVerdict::kStarted));
  HttpResponse refused = post_chat(token, "here too");
  BOOST_TEST(refused.status == 409);
  BOOST_TEST(refused.header("retry-after") == "1");
  resume_chat::ReplyWriter writer(pool);
  resume_chat::ReplyRecord record;
  record.reply_uuid = r.reply_uuid;
  record.session_uuid = session;
  record.contents = "the other worker's answer";
  std::promise<bool> stored;
  writer.submit(record, [&stored](const resume_chat::Status& s) { stored.set_value(s.ok()); });
  BOOST_TEST(stored.get_future().get());
  BOOST_TEST(done(post_chat(token, "now it may")));
  // Storing the same reply again (a retry after a lost COMMIT) adds nothing.
  std::promise<bool> again;
  writer.submit(record, [&again](const resume_chat::Status& s) { again.set_value(s.ok()); });
  BOOST_TEST(again.get_future().get());
  BOOST_TEST(sql_value("SELECT count(*) FROM chats WHERE reply_uuid = $1", {r.reply_uuid}) == "1");
}
