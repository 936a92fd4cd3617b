// POST /chat end to end (nginx → worker → the simulator over TLS → PostgreSQL): streamed
// replies and their rows, bad requests, the API's failures, and faults of every part.
// Needs a running scripts/test-stack (scripts/run-tests integration starts one).
#define BOOST_TEST_MODULE integration_chat
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <rapidjson/document.h>

#include "resume_chat/chat_store.h"
#include "resume_chat/db_pool.h"
#include "resume_chat/schema.h"
#include "resume_chat/session_token.h"
#include "support/chat.h"
#include "support/integration.h"
#include "support/fcgi_client.h"
#include "support/http.h"
#include "support/stack.h"

using namespace test_support;

BOOST_AUTO_TEST_SUITE(chat)

namespace {

int chat_rows() { return std::stoi(sql_value("SELECT count(*) FROM chats")); }

std::string simulator(const std::string& path, const std::string& method = "GET") {
  return http({method, env("SIM_URL") + path, "", {}, 10}).body;
}

// Waits up to 60 s for what client threads report: a point in a stream, however slow the
// machine (a sanitizer build on a busy CI runner), rather than a guess at its time.
void wait_for(const std::function<bool()>& reached) {
  for (int i = 0; i < 600 && !reached(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

// How many of the chats posted in the background have had a first token, and have ended.
struct Progress {
  std::atomic<int> streaming{0}, finished{0};
};

// A chat posted on a thread of its own, reported in `progress`.
std::thread chat_in_background(const std::string& token, const std::string& message,
                               Progress& progress, HttpResponse& response) {
  return std::thread([&progress, &response, token, message] {
    bool counted = false;
    response = http(chat_request(token, message), "", [&](const std::string& body) {
      if (!counted && contains(body, "event: token")) counted = true, ++progress.streaming;
    });
    ++progress.finished;
  });
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_turns_are_streamed_stored_and_carry_history) {
  const std::string token = session_token();
  HttpResponse first = post_chat(token, "What should I improve first?");
  BOOST_TEST(first.status == 200);
  BOOST_TEST(contains(first.header("content-type"), "text/event-stream"));
  BOOST_TEST(done(first), first.body);
  auto events = events_of(first.body);
  BOOST_TEST(events.size() > 20u);
  const std::string reply = reply_text(events);
  BOOST_TEST(contains(reply, "local simulator"));

  HttpResponse second = post_chat(token, "And then? [sim:echo]");
  BOOST_TEST(done(second));
  BOOST_TEST(reply_text(events_of(second.body)) == "echo: 3 messages; last: And then? [sim:echo]");

  Rows rows = sql("SELECT message_type, contents FROM chats WHERE session_uuid = $1 ORDER BY id",
                  {uuid_of(token)});
  BOOST_REQUIRE(rows.size() == 4u);
  BOOST_TEST(rows[0][0] == "user");
  BOOST_TEST(rows[0][1] == "What should I improve first?");
  BOOST_TEST(rows[1][0] == "assistant");
  BOOST_TEST(rows[1][1] == reply);
  BOOST_TEST(rows[2][1] == "And then? [sim:echo]");
  BOOST_TEST(rows[3][1] == "echo: 3 messages; last: And then? [sim:echo]");
}

BOOST_AUTO_TEST_CASE(request_to_claude_has_the_contracted_shape) {
  simulator("/_sim/requests", "DELETE");
  const std::string name = "verbatim-doc";
  sql("INSERT INTO documents (name, resume, jd) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      {name, "R&D <Team> a/b \"quoted\"", "JD with <b>tags</b> & ampersands"});
  BOOST_TEST(done(post_chat(session_token(name), "hi")));
  std::string requests = simulator("/_sim/requests");
  BOOST_TEST(contains(requests, "R&D <Team> a/b \\\"quoted\\\""), requests.substr(0, 2000));
  BOOST_TEST(contains(requests, "\"cache_control\":{\"type\":\"ephemeral\"}"));
  BOOST_TEST(contains(requests, "JD with <b>tags</b> & ampersands"));
  BOOST_TEST(!contains(requests, "&amp;"));
  BOOST_TEST(contains(requests, "\"anthropic-version\":\"2023-06-01\""));
  BOOST_TEST(contains(requests, "\"content-type\":\"application/json\""));
  BOOST_TEST(contains(requests, "\"model\":\"claude-haiku-4-5-20251001\""));
  BOOST_TEST(contains(requests, "\"max_tokens\":2048"));
  BOOST_TEST(contains(requests, "\"stream\":true"));
  BOOST_TEST(contains(requests, "\"x-api-key\":\"***\""));
}

// Thirty replies that failed left thirty user messages of ~2,000 estimated tokens each; the
// next request re-sends only the newest that fit HISTORY_MAX_TOKENS (32,000 by default),
// the new question always among them, and the log says how many were left out.
BOOST_AUTO_TEST_CASE(a_long_session_re_sends_only_what_fits_the_history_budget) {
  const std::string token = session_token();
  sql("INSERT INTO chats (session_uuid, message_type, contents) "
      "SELECT $1, 'user', 'old-turn-' || lpad(i::text, 2, '0') || ' ' || repeat('x', 6988) "
      "FROM generate_series(0, 29) AS i ORDER BY i",
      {uuid_of(token)});
  simulator("/_sim/requests", "DELETE");
  HttpResponse r = post_chat(token, "the question");
  BOOST_TEST(done(r), r.body.substr(0, 300));
  const std::string requests = simulator("/_sim/requests");
  BOOST_TEST(contains(requests, "the question"));
  // 7,000 bytes → 2,000 + 4 tokens each: 15 of them and the question fit, 16 would not.
  BOOST_TEST(contains(requests, "old-turn-15 "));
  BOOST_TEST(contains(requests, "old-turn-29 "));
  BOOST_TEST(!contains(requests, "old-turn-14 "));
  BOOST_TEST(requests.size() < 32000u * 7 / 2 + 20000u);  // the budget plus the prompt
  BOOST_TEST(!worker_log_line({"\"session\":\"" + uuid_of(token) + "\"",
                               "\"history_turns_dropped\":15,"}).empty());
}

// Pages may reuse a document read less than DOCUMENT_CACHE_MS (1 s) ago; the chat always
// builds its prompt from the row as it is now.
BOOST_AUTO_TEST_CASE(an_edited_document_reaches_the_chat_at_once_and_pages_within_a_second) {
  const std::string name = "edited-doc";
  sql("DELETE FROM documents WHERE name = $1", {name});
  sql("INSERT INTO documents (name, resume, jd) VALUES ($1, 'resume before', 'jd')", {name});
  const auto loaded = std::chrono::steady_clock::now();
  BOOST_TEST(contains(get(page_url(name)).body, "resume before"));
  sql("UPDATE documents SET resume = 'resume after' WHERE name = $1", {name});
  HttpResponse again = get(page_url(name));
  if (std::chrono::steady_clock::now() - loaded < std::chrono::milliseconds(900)) {
    BOOST_TEST(contains(again.body, "resume before"));  // from the cache
  }
  simulator("/_sim/requests", "DELETE");
  BOOST_TEST(done(post_chat(session_token(name), "hi [sim:echo]")));
  const std::string requests = simulator("/_sim/requests");
  BOOST_TEST(contains(requests, "resume after"));
  BOOST_TEST(!contains(requests, "resume before"));
  std::this_thread::sleep_until(loaded + std::chrono::milliseconds(1100));
  BOOST_TEST(contains(get(page_url(name)).body, "resume after"));
  sql("DELETE FROM documents WHERE name = $1", {name});
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  BOOST_TEST(get(page_url(name)).status == 404);
}

BOOST_AUTO_TEST_CASE(tokens_reach_the_client_as_they_are_produced) {
  HttpResponse r = post_chat(session_token(), "slowly [sim:slow]");
  BOOST_TEST(done(r));
  // 300 ms between tokens upstream: the client must see many separate arrivals, one per
  // token, not one buffered block at the end.
  size_t arrivals_with_tokens = 0;
  for (const auto& chunk : r.chunks) arrivals_with_tokens += contains(chunk.second, "event: token");
  BOOST_TEST(arrivals_with_tokens > 10u);
}

BOOST_AUTO_TEST_CASE(each_simulator_scenario_gives_text_or_a_clear_error) {
  struct Case { const char* message; bool complete; const char* error; };
  for (Case c : {Case{"[sim:tiny-chunks]", true, ""}, Case{"[sim:crlf]", true, ""},
                 Case{"[sim:cr]", true, ""}, Case{"[sim:noise]", true, ""},
                 Case{"[sim:thinking]", true, ""}, Case{"[sim:tool_use]", true, ""},
                 Case{"[sim:flaky-529]", true, ""}, Case{"[sim:flaky-429]", true, ""},
                 Case{"[sim:error-midstream]", false, "overloaded"},
                 Case{"[sim:drop]", false, "interrupted"},
                 Case{"[sim:reset]", false, "interrupted"},
                 Case{"[sim:truncated]", false, "interrupted"},
                 Case{"[sim:http-400]", false, "could not answer this message"},  // no internal codes
                 Case{"[sim:http-401]", false, "Error: Unable to connect to Claude API. Please check API key."},
                 Case{"[sim:http-529]", false, "overloaded"},
                 Case{"[sim:http-429]", false, "too many requests"}}) {
    const std::string token = session_token();
    HttpResponse r = post_chat(token, c.message);
    BOOST_TEST(r.status == 200, c.message);
    BOOST_TEST(done(r) == c.complete, c.message << ": " << r.body.substr(r.body.size() > 300 ? r.body.size() - 300 : 0));
    if (!c.complete) BOOST_TEST(contains(last_error(r), c.error), c.message << ": " << last_error(r));
    std::string text = reply_text(events_of(r.body));
    BOOST_TEST(!contains(text, "SECRET THOUGHT"));
    BOOST_TEST(!contains(text, "TOOL INPUT"));
    // What the user saw is what is stored; a failed turn without text stores no reply.
    std::string stored = sql_value(
        "SELECT coalesce(string_agg(contents, ''), '') FROM chats WHERE session_uuid = $1 "
        "AND message_type = 'assistant'", {uuid_of(token)});
    BOOST_TEST(stored == text, c.message);
    // And the next request in that session is still valid.
    BOOST_TEST(done(post_chat(token, "next [sim:echo]")), c.message);
  }
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused_without_touching_the_database) {
  const std::string token = session_token();
  const int rows_before = chat_rows();
  std::string tampered = token;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  std::string other_doc_token = session_token("verbatim-doc");
  struct Case { HttpResponse response; long status; const char* text; };
  std::vector<Case> cases;
  cases.push_back({post_chat("v1.forged", "hi"), 403, "not valid"});
  cases.push_back({post_chat(tampered, "hi"), 403, "not valid"});
  cases.push_back({post_chat(token, "   \n  "), 400, "Please type a message"});
  cases.push_back({post_chat(token, std::string(8001, 'x')), 413, "too long"});
  cases.push_back({post_chat(token, "hi", "text/plain"), 415, "JSON"});
  cases.push_back({http({"POST", base_url() + "/chat", "{not json", {"Content-Type: application/json"}, 10}), 400, "JSON object"});
  cases.push_back({http({"POST", base_url() + "/chat", "[1]", {"Content-Type: application/json"}, 10}), 400, "JSON object"});
  cases.push_back({http({"POST", base_url() + "/chat", "{\"message\":\"hi\"}", {"Content-Type: application/json"}, 10}), 400, "no session"});
  cases.push_back({http({"GET", base_url() + "/chat", "", {}, 10}), 405, "POST"});
  cases.push_back({http({"POST", base_url() + "/chat", "{\"session\":\"" + token + "\",\"message\":\"a\xff\"}", {"Content-Type: application/json"}, 10}), 400, "UTF-8"});
  for (const Case& c : cases) {
    BOOST_TEST(c.response.status == c.status, c.text << ": " << c.response.body);
    BOOST_TEST(contains(last_error(c.response), c.text), last_error(c.response));
  }
  BOOST_TEST(chat_rows() == rows_before);
  (void)other_doc_token;
}

HttpResponse post_regenerate(const std::string& token, const std::string& message) {
  return http({"POST", base_url() + "/chat",
               "{\"session\":" + json_string(token) + ",\"message\":" + json_string(message) +
                   ",\"regenerate\":true}",
               {"Content-Type: application/json"}, 60});
}

// The messages of each request the simulator received whose last user turn has `marker`:
// one string per request, "role: text" per message, in order.
std::vector<std::string> requests_with(const std::string& marker) {
  rapidjson::Document doc;
  doc.Parse(simulator("/_sim/requests").c_str());
  std::vector<std::string> out;
  if (!doc.IsArray()) return out;
  for (const auto& request : doc.GetArray()) {
    std::string messages;
    for (const auto& m : request["body"]["messages"].GetArray()) {
      std::string text;
      if (m["content"].IsString()) text = m["content"].GetString();
      else for (const auto& block : m["content"].GetArray()) text += block["text"].GetString();
      messages += std::string(m["role"].GetString()) + ": " + text + "\n";
    }
    if (contains(messages.substr(messages.rfind("user: ")), marker)) out.push_back(messages);
  }
  return out;
}

// Retry after a failed reply (docs/architecture.md, "The /chat contract"): the question is stored once, the
// partial reply is kept but marked, and Claude gets the question once, without the partial.
BOOST_AUTO_TEST_CASE(regenerate_replaces_a_failed_reply_and_stores_the_question_once) {
  const std::string token = session_token();
  const std::string question = "Which gaps first? " + resume_chat::new_uuid4() + " [sim:flaky-midstream]";
  BOOST_TEST(done(post_chat(token, "Hello [sim:echo]")));
  HttpResponse failed = post_chat(token, question);
  BOOST_TEST(!done(failed));
  BOOST_TEST(contains(last_error(failed), "overloaded"));
  const std::string partial = reply_text(events_of(failed.body));
  BOOST_TEST(!partial.empty());

  HttpResponse again = post_regenerate(token, question);
  BOOST_TEST(again.status == 200);
  BOOST_TEST(done(again), again.body);
  BOOST_TEST(reply_text(events_of(again.body)) == "echo: 3 messages; last: " + question);

  Rows rows = sql("SELECT message_type, contents, superseded_at IS NOT NULL FROM chats "
                  "WHERE session_uuid = $1 ORDER BY id", {uuid_of(token)});
  BOOST_REQUIRE(rows.size() == 5u);
  BOOST_TEST((rows[2] == std::vector<std::string>{"user", question, "f"}));
  BOOST_TEST((rows[3] == std::vector<std::string>{"assistant", partial, "t"}));
  BOOST_TEST(rows[4][0] == "assistant");
  BOOST_TEST(rows[4][2] == "f");
  auto sent = requests_with(question);
  BOOST_REQUIRE(sent.size() == 2u);
  BOOST_TEST(sent[0] == sent[1], "the regenerated request is the first one again");
  size_t times = 0;
  for (size_t at = 0; (at = sent[1].find(question, at)) != std::string::npos; ++at) ++times;
  BOOST_TEST(times == 1u);
  BOOST_TEST(!contains(sent[1], partial));
  BOOST_TEST(contains(worker_log_line({uuid_of(token), "\"superseded\":1"}), "\"status\":200"));

  // The next turn's history has the new reply, not the partial one.
  HttpResponse next = post_chat(token, "And then? [sim:echo]");
  BOOST_TEST(reply_text(events_of(next.body)) == "echo: 5 messages; last: And then? [sim:echo]");
  BOOST_TEST(!contains(requests_with("And then?").at(0), partial));
}

// Retry when the first attempt never stored the question (refused before it, or lost on the
// way): the question is stored now, once.
BOOST_AUTO_TEST_CASE(regenerate_of_a_question_never_stored_stores_it) {
  const std::string token = session_token();
  BOOST_TEST(done(post_chat(token, "First [sim:echo]")));
  HttpResponse r = post_regenerate(token, "Never arrived [sim:echo]");
  BOOST_TEST(done(r));
  BOOST_TEST(reply_text(events_of(r.body)) == "echo: 3 messages; last: Never arrived [sim:echo]");
  BOOST_TEST(sql_value("SELECT count(*) FROM chats WHERE session_uuid = $1 AND contents = $2",
                       {uuid_of(token), "Never arrived [sim:echo]"}) == "1");
}

BOOST_AUTO_TEST_CASE(one_stream_per_session) {
  const std::string token = session_token();
  Progress progress;
  HttpResponse first;
  std::thread slow = chat_in_background(token, "[sim:slow]", progress, first);
  wait_for([&] { return progress.streaming == 1; });
  HttpResponse second = post_chat(token, "me too");
  slow.join();
  BOOST_TEST(second.status == 409);
  BOOST_TEST(contains(last_error(second), "still streaming"));
  BOOST_TEST(done(post_chat(token, "after [sim:echo]")));
}

// The test stack allows 64 streams (STREAM_CAPACITY) on 8 request threads: streams hold no
// thread, so with all 64 open pages still load and a 65th chat is told at once.
BOOST_AUTO_TEST_CASE(past_stream_capacity_a_chat_is_refused_at_once_and_pages_still_load) {
  const int capacity = std::stoi(env("STREAM_CAPACITY"));
  std::vector<std::string> tokens;
  for (int i = 0; i < capacity; ++i) tokens.push_back(session_token());
  std::vector<std::thread> streams;
  std::vector<HttpResponse> responses(capacity);
  Progress progress;
  for (int i = 0; i < capacity; ++i) {
    streams.push_back(chat_in_background(tokens[i], "[sim:slow]", progress, responses[i]));
  }
  wait_for([&] { return progress.streaming == capacity; });
  HttpResponse busy = post_chat(session_token(), "one more");
  HttpResponse page = get(page_url("demo"));
  const int finished_meanwhile = progress.finished;  // neither waited for a stream to end
  for (auto& t : streams) t.join();
  const int completed = static_cast<int>(std::count_if(responses.begin(), responses.end(), done));
  BOOST_TEST(busy.status == 503);
  BOOST_TEST(contains(last_error(busy), "busy"));
  BOOST_TEST(busy.header("retry-after") == "5");
  BOOST_TEST(page.status == 200);
  BOOST_TEST(finished_meanwhile == 0);
  BOOST_TEST(completed == capacity);
  BOOST_TEST(done(post_chat(session_token(), "now there is room [sim:echo]")));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_input)

using namespace ::chat;

namespace {

std::string expand(std::string text, const std::map<std::string, std::string>& tokens) {
  if (text == "{EMPTY}") return "";
  for (const auto& [name, value] : tokens) {
    for (size_t at; (at = text.find(name)) != std::string::npos;) text.replace(at, name.size(), value);
  }
  for (size_t at; (at = text.find("{REPEAT:")) != std::string::npos;) {
    size_t end = text.find('}', at);
    std::string spec = text.substr(at + 8, end - at - 8);  // c:n
    text.replace(at, end - at + 1, std::string(std::stoul(spec.substr(2)), spec[0]));
  }
  for (size_t at; (at = text.find("\\x")) != std::string::npos;) {
    text.replace(at, 4, 1, static_cast<char>(std::stoi(text.substr(at + 2, 2), nullptr, 16)));
  }
  return text;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
    fields.push_back(line.substr(start, tab - start));
  }
  fields.push_back(line.substr(start));
  return fields;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_case_in_the_table) {
  const std::string token = session_token();
  resume_chat::SessionSigner signer(env("SESSION_SECRET"));
  auto now = static_cast<int64_t>(std::time(nullptr));
  std::string tampered = token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  std::string moved = token.substr(0, token.rfind('.'));
  moved = moved.substr(0, moved.rfind('.') + 1) + resume_chat::base64url_encode("verbatim-doc") +
          token.substr(token.rfind('.'));
  std::map<std::string, std::string> tokens{
      {"{TOKEN}", token},
      {"{TAMPERED}", tampered},
      {"{EXPIRED}", signer.sign({resume_chat::new_uuid4(), "demo", now - 2 * 86400})},
      {"{OTHER_DOC}", moved}};
  const std::string rows_before = sql_value("SELECT count(*) FROM chats");
  const std::string documents_before = sql_value("SELECT count(*) FROM documents");
  std::ifstream table("tests/data/bad_requests.tsv");
  std::string line;
  int cases = 0;
  while (std::getline(table, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split_tabs(line);
    BOOST_REQUIRE_MESSAGE(f.size() == 7u, "bad table line: " << line);
    std::vector<std::string> headers;
    std::string type = expand(f[3], tokens);
    if (!type.empty()) headers.push_back("Content-Type: " + type);
    HttpResponse r = http({f[1], base_url() + expand(f[2], tokens), expand(f[4], tokens), headers, 30});
    BOOST_TEST(r.status == std::stol(f[5]), f[0] << ": got " << r.status << " " << r.body.substr(0, 200));
    std::string text = expand(f[6], tokens);
    BOOST_TEST(contains(r.body, text), f[0] << ": missing '" << text << "' in " << r.body.substr(0, 200));
    ++cases;
  }
  BOOST_TEST(cases >= 30);
  BOOST_TEST(sql_value("SELECT count(*) FROM chats") == rows_before);
  BOOST_TEST(sql_value("SELECT count(*) FROM documents") == documents_before);
}

BOOST_AUTO_TEST_CASE(injection_corpus_is_stored_verbatim) {
  const std::vector<std::string> corpus = {
      "'; DROP TABLE chats; --", "\" OR 1=1 --", "'); DELETE FROM documents; --",
      "$1 $2 \\x00 E'\\\\'", "1; SELECT pg_sleep(10); --", "<script>alert(1)</script>",
      "<img src=x onerror=alert(1)>", "{{resume}} {{{jd}}} {{#x}}{{/x}}"};
  const std::string token = session_token();
  for (const auto& attack : corpus) {
    HttpResponse r = post_chat(token, attack + " [sim:echo]");
    BOOST_TEST(done(r), attack);
  }
  Rows rows = sql("SELECT contents FROM chats WHERE session_uuid = $1 AND message_type = 'user' "
                  "ORDER BY id", {uuid_of(token)});
  BOOST_REQUIRE(rows.size() == corpus.size());
  for (size_t i = 0; i < corpus.size(); ++i) BOOST_TEST(rows[i][0] == corpus[i] + " [sim:echo]");
  BOOST_TEST(sql_value("SELECT count(*) FROM documents WHERE name = 'demo'") == "1");
}

// Page loads are limited per address (enumerating names: a 200 or a 404 says whether one
// exists). From an address of its own, so no other test shares the bucket; several clients
// at once, so the limit is crossed however slow the build.
BOOST_AUTO_TEST_CASE(page_loads_are_limited_per_address) {
  const int burst = std::stoi(env("PAGE_BURST"));
  std::atomic<int> answered{0}, sent{0};
  std::atomic<bool> refused{false};
  HttpResponse first_refusal;
  std::mutex mu;
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      while (!refused && sent++ < burst * 50) {
        HttpResponse r = http({"GET", base_url() + "/?q=guess-" + std::to_string(sent.load()), "", {}, 30},
                              "127.0.0.3");
        if (r.status == 429) {
          std::lock_guard<std::mutex> lock(mu);
          if (!refused) first_refusal = r;
          refused = true;
        } else if (r.status == 404) {
          ++answered;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  BOOST_TEST(refused.load());
  BOOST_TEST(answered.load() > burst);  // the burst itself passes
  BOOST_TEST(first_refusal.status == 429);
  expect_security_headers(first_refusal, "page 429");
  // Per address: another one is not held back.
  BOOST_TEST(http({"GET", page_url("demo"), "", {}, 10}, "127.0.0.4").status == 200);
}

BOOST_AUTO_TEST_CASE(chat_rate_limit_answers_429) {
  int limited = 0;
  for (int i = 0; i < 400 && limited == 0; ++i) {
    HttpResponse r = http({"GET", base_url() + "/chat", "", {}, 10});
    if (r.status == 429) ++limited;
  }
  BOOST_TEST(limited > 0);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // let the bucket drain
}

BOOST_AUTO_TEST_SUITE_END()

// The upstream engine as a deployment meets it: the API over TLS and HTTP/2 (the stack's
// nginx front, a CA of the stack's own in ANTHROPIC_CA_FILE), many streams on a few
// connections, a reader that stops reading, a silent API.
BOOST_AUTO_TEST_SUITE(upstream)

using namespace ::chat;

namespace {

// The API front's access log: "connection requests reused protocol msec time method uri status".
struct FrontRequest {
  std::string connection, protocol, method, uri, status;
};

std::vector<FrontRequest> front_requests(size_t skip_lines) {
  std::istringstream log(read_file(env("STACK_DIR") + "/api-front/access.log"));
  std::vector<FrontRequest> requests;
  size_t line_no = 0;
  for (std::string line; std::getline(log, line); ++line_no) {
    if (line_no < skip_lines) continue;
    std::istringstream fields(line);
    FrontRequest r;
    std::string requests_on_connection, reused, msec, time;
    fields >> r.connection >> requests_on_connection >> reused >> r.protocol >> msec >> time >>
        r.method >> r.uri >> r.status;
    requests.push_back(r);
  }
  return requests;
}

size_t front_log_lines() { return front_requests(0).size(); }

// A browser that sends its chat and then reads nothing, with a receive window of a few KB.
int stuck_reader(const std::string& token) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int small = 2048;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(env("APP_PORT"))));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  const std::string body = "{\"session\":\"" + token + "\",\"message\":\"[sim:long] stuck\"}";
  const std::string request = "POST /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                              "application/json\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\n\r\n" + body;
  BOOST_REQUIRE(send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  return fd;
}

}  // namespace

BOOST_AUTO_TEST_CASE(chats_reach_the_api_over_tls_and_http2) {
  BOOST_REQUIRE(env("ANTHROPIC_BASE_URL").rfind("https://", 0) == 0);
  const size_t before = front_log_lines();
  BOOST_TEST(done(post_chat(session_token(), "over TLS [sim:echo]")));
  auto requests = front_requests(before);
  BOOST_REQUIRE(requests.size() == 1u);
  BOOST_TEST(requests[0].protocol == "HTTP/2.0");
  BOOST_TEST(requests[0].uri == "/v1/messages");
  BOOST_TEST(requests[0].status == "200");
}

BOOST_AUTO_TEST_CASE(many_streams_share_a_few_connections) {
  const int streams = 60;
  std::vector<std::string> tokens;
  for (int i = 0; i < streams; ++i) tokens.push_back(session_token());
  const size_t before = front_log_lines();
  std::atomic<int> completed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < streams; ++i) {
    clients.emplace_back([&, i] { completed += done(post_chat(tokens[i], "[sim:slow] shared")); });
  }
  for (auto& t : clients) t.join();
  BOOST_TEST(completed == streams);
  std::set<std::string> connections;
  int chats = 0;
  for (const auto& r : front_requests(before)) {
    if (r.uri != "/v1/messages") continue;
    ++chats;
    connections.insert(r.connection);
    BOOST_TEST(r.protocol == "HTTP/2.0");
  }
  BOOST_TEST(chats == streams);
  BOOST_TEST(connections.size() <= 2u, streams << " streams used " << connections.size()
                                                << " connections");
  BOOST_TEST(contains(get(base_url() + "/metrics").body,
                      "resume_chat_upstream_connections_opened_total"));
}

// A reader that takes nothing fills only its own buffers: the streams beside it complete,
// and its own reply is stored once it leaves.
BOOST_AUTO_TEST_CASE(a_reader_that_stops_reading_does_not_hold_up_the_others) {
  const std::string stuck_token = session_token();
  int stuck = stuck_reader(stuck_token);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::atomic<int> completed{0};
  std::vector<std::thread> others;
  for (int i = 0; i < 3; ++i) {
    others.emplace_back([&] { completed += done(post_chat(session_token(), "beside it")); });
  }
  for (auto& t : others) t.join();
  BOOST_TEST(completed == 3);
  close(stuck);
  std::string stored;
  for (int i = 0; i < 100; ++i) {
    stored = sql_value("SELECT count(*) FROM chats WHERE session_uuid = $1 AND message_type = 'assistant'",
                       {uuid_of(stuck_token)});
    if (stored == "1") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_TEST(stored == "1");
}

// The stall scenario answers 200 and message_start, then is silent. The error comes the idle
// timeout (CLAUDE_IDLE_TIMEOUT_S=4 in the test stack) after that last byte, and the request
// is not sent again: it had started.
BOOST_AUTO_TEST_CASE(a_silent_api_ends_in_an_error_after_the_idle_timeout_without_a_retry) {
  simulator("/_sim/requests", "DELETE");
  const std::string token = session_token();
  const auto started = std::chrono::steady_clock::now();
  HttpResponse silent = post_chat(token, "anyone there? [sim:stall]");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST(contains(last_error(silent), "Claude stopped responding"), silent.body);
  const std::string requests = simulator("/_sim/requests");
  size_t sent = 0;
  for (size_t at = 0; (at = requests.find("anyone there?", at)) != std::string::npos; ++at) ++sent;
  BOOST_TEST(sent == 1u);
  const std::string line = worker_log_line({uuid_of(token), "\"reply\":\"timed_out\""});
  BOOST_TEST(contains(line, "\"retries\":0"), line);
  BOOST_TEST_MESSAGE("silent API: the error came " << seconds << " s after the request (idle timeout "
                                                   << env("CLAUDE_IDLE_TIMEOUT_S") << " s)");
}

BOOST_AUTO_TEST_SUITE_END()

// Faults injected for real: PostgreSQL stopped under the worker, a client that goes away,
// SIGTERM and SIGKILL of the worker. Runs last: it restarts the worker.
BOOST_AUTO_TEST_SUITE(faults)

using namespace ::chat;

namespace {

// The supervisor rewrites the file at each restart: an empty read is a write in progress.
pid_t read_pid(const std::string& path) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string text = read_file(path);
    if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) return std::stoi(text);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

pid_t worker_pid() { return read_pid(env("STACK_DIR") + "/worker.pid"); }

void wait_for_new_worker(pid_t old_pid) {
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    pid_t now = worker_pid();
    if (now != old_pid && get(page_url("demo")).status == 200) return;
  }
  BOOST_FAIL("the supervisor did not bring a new worker up");
}

}  // namespace

BOOST_AUTO_TEST_CASE(chat_during_a_database_outage_gets_the_seed_error_then_recovers) {
  const std::string token = session_token();
  BOOST_REQUIRE(std::system("scripts/test-stack pg-stop >/dev/null") == 0);
  HttpResponse down = post_chat(token, "are you there?");
  BOOST_REQUIRE(std::system("scripts/test-stack pg-start >/dev/null") == 0);
  BOOST_TEST(down.status == 503);
  BOOST_TEST(contains(last_error(down), "Unable to connect to database"));
  HttpResponse up = post_chat(token, "and now? [sim:echo]");
  BOOST_TEST(done(up));
  BOOST_TEST(reply_text(events_of(up.body)) == "echo: 1 messages; last: and now? [sim:echo]");
}

// The only statement timeout used to be the app role's own setting (002_app_role.sql); a
// worker running as another role (the seed's setup, a managed database's default user)
// waited as long as a lock lasted. Now DATABASE_STATEMENT_TIMEOUT_MS (5 s) is the worker's:
// with the role's setting removed and documents locked, a page and a chat get the seed's
// database error while the lock is still held, and both work once it is released.
BOOST_AUTO_TEST_CASE(a_locked_table_gives_the_database_error_within_the_statement_timeout) {
  const std::string role = env("DATABASE_USER");
  sql("ALTER ROLE " + role + " RESET statement_timeout");  // settings apply to new sessions:
  pid_t old_pid = worker_pid();                             // restart the worker
  BOOST_REQUIRE(kill(old_pid, SIGTERM) == 0);
  wait_for_new_worker(old_pid);
  BOOST_TEST(sql_value("SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON "
                       "r.oid = s.setrole WHERE r.rolname = $1", {role}) == "0");
  const std::string name = "locked-doc-" + std::to_string(std::time(nullptr));
  sql("INSERT INTO documents (name, resume, jd) VALUES ($1, 'r', 'j')", {name});  // not cached
  const std::string token = session_token();

  // Another session holds the lock until told to let go (at most 120 s).
  std::atomic<bool> release{false}, locked{false}, lock_taken{false};
  std::thread locker([&] {
    const std::string host = env("DATABASE_HOST"), port = env("DATABASE_PORT"),
                      db = env("DATABASE_NAME"), user = env("DB_ADMIN_USER"),
                      password = env("DB_ADMIN_PASSWORD");
    const char* keys[] = {"host", "port", "dbname", "user", "password", nullptr};
    const char* values[] = {host.c_str(), port.c_str(), db.c_str(), user.c_str(),
                            password.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, 0);
    PQclear(PQexec(conn, "BEGIN"));
    PGresult* lock = PQexec(conn, "LOCK TABLE documents IN ACCESS EXCLUSIVE MODE");
    lock_taken = PQresultStatus(lock) == PGRES_COMMAND_OK;
    PQclear(lock);
    locked = true;
    for (int i = 0; i < 1200 && !release; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    PQclear(PQexec(conn, "COMMIT"));
    PQfinish(conn);
  });
  while (!locked) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!lock_taken) {
    release = true;
    locker.join();
    BOOST_FAIL("could not lock the documents table");
  }
  HttpResponse page = http({"GET", page_url(name), "", {}, 30});
  HttpResponse chat_reply = http({"POST", base_url() + "/chat",
                                  "{\"session\":\"" + token + "\",\"message\":\"hi [sim:echo]\"}",
                                  {"Content-Type: application/json"}, 30});
  const bool answered_while_locked = !release;
  release = true;
  locker.join();
  BOOST_TEST(answered_while_locked);
  BOOST_TEST(page.status == 503, page.status << " " << page.body.substr(0, 200));
  BOOST_TEST(contains(page.body, "Error: Unable to connect to database. Please check configuration."));
  BOOST_TEST(chat_reply.status == 503, chat_reply.status << " " << chat_reply.body.substr(0, 200));
  BOOST_TEST(contains(last_error(chat_reply), "Unable to connect to database"));
  BOOST_TEST(!worker_log_line({"canceling statement due to statement timeout"}).empty());
  // Afterwards the same pooled connections serve both.
  BOOST_TEST(get(page_url(name)).status == 200);
  BOOST_TEST(done(post_chat(token, "and now? [sim:echo]")));
  sql("ALTER ROLE " + role + " SET statement_timeout = '10s'");  // as 002_app_role.sql has it
}

BOOST_AUTO_TEST_CASE(a_client_that_leaves_stops_the_reply_and_its_partial_text_is_stored) {
  const std::string token = session_token();
  HttpRequest request{"POST", base_url() + "/chat",
                      "{\"session\":\"" + token + "\",\"message\":\"[sim:slow]\"}",
                      {"Content-Type: application/json"}, 2};  // gives up after 2 s
  HttpResponse cut = http(request);
  auto left = std::chrono::steady_clock::now();
  BOOST_TEST(cut.code == CURLE_OPERATION_TIMEDOUT);
  const std::string shown = reply_text(events_of(cut.body));
  BOOST_TEST(!shown.empty());
  std::string stored;
  while (stored.empty() && std::chrono::steady_clock::now() - left < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stored = sql_value("SELECT coalesce(max(contents), '') FROM chats WHERE session_uuid = $1 "
                       "AND message_type = 'assistant'", {uuid_of(token)});
  }
  double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - left).count();
  BOOST_TEST(stored.rfind(shown, 0) == 0u, "stored '" << stored << "' shown '" << shown << "'");
  BOOST_TEST(stored.size() < 150u);  // stopped early, not the whole reply
  BOOST_TEST_MESSAGE("partial reply stored " << after << " s after the client left");
  BOOST_TEST(done(post_chat(token, "still fine? [sim:echo]")));
}

BOOST_AUTO_TEST_CASE(a_client_that_leaves_while_claude_is_silent_frees_its_session) {
  const std::string token = session_token();
  HttpRequest request{"POST", base_url() + "/chat",
                      "{\"session\":\"" + token + "\",\"message\":\"[sim:stall]\"}",
                      {"Content-Type: application/json"}, 2};  // gives up after 2 s
  HttpResponse cut = http(request);
  auto left = std::chrono::steady_clock::now();
  BOOST_TEST(cut.code == CURLE_OPERATION_TIMEDOUT);
  BOOST_TEST(reply_text(events_of(cut.body)).empty());  // nothing was said yet
  // No write fails while Claude is silent: the worker sees nginx close the connection.
  const std::string gone = "\"session\":\"" + uuid_of(token) + "\"";
  bool logged =
      !worker_log_line({gone, "\"client\":\"gone\""}, std::chrono::seconds(30)).empty();
  double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - left).count();
  BOOST_TEST(logged, "the worker never logged the client as gone");
  BOOST_TEST_MESSAGE("silent stream stopped " << after << " s after the client left");
  BOOST_TEST(done(post_chat(token, "back again [sim:echo]")));
}

BOOST_AUTO_TEST_CASE(a_missing_prompt_template_disables_the_chat_with_the_seed_text) {
  const std::string path = env("PROMPT_TEMPLATE");
  const std::string token = session_token();
  BOOST_REQUIRE(std::rename(path.c_str(), (path + ".away").c_str()) == 0);
  HttpResponse page = get(page_url("demo"));
  HttpResponse chat_reply = post_chat(token, "hello");
  BOOST_REQUIRE(std::rename((path + ".away").c_str(), path.c_str()) == 0);
  // The seed's text with the path as configured relative to the worker's directory (the
  // project root here), never the server's absolute path: that stays in the log.
  const std::string root = root_dir() + "/";
  const std::string shown = path.rfind(root, 0) == 0 ? path.substr(root.size())
                                                     : path.substr(path.rfind('/') + 1);
  const std::string text = "Error: System prompt template not found at " + shown;
  BOOST_TEST(page.status == 503);
  BOOST_TEST(contains(page.body, text), text);
  BOOST_TEST(contains(page.body, "data-ready=\"false\""));
  BOOST_TEST(contains(page.body, "Please tell its operator."));
  BOOST_TEST(!contains(page.body, "id=\"message\""));
  BOOST_TEST(!contains(page.body, root));
  BOOST_TEST(!contains(chat_reply.body, root));
  BOOST_TEST(!worker_log_line({"\"prompt_template\":\"" + path + "\""}).empty());
  BOOST_TEST(chat_reply.status == 503);
  BOOST_TEST(last_error(chat_reply) == "{\"message\":\"" + text + "\"}");
  BOOST_TEST(sql_value("SELECT count(*) FROM chats WHERE session_uuid = $1", {uuid_of(token)}) == "0");
  BOOST_TEST(get(page_url("demo")).status == 200);
}

// A reply that ends while PostgreSQL is down is held, the reader told that saving is late,
// the session kept claimed, and the reply stored (then `done`) when the database is back.
BOOST_AUTO_TEST_CASE(a_reply_that_ends_during_a_database_outage_is_held_and_stored) {
  const std::string token = session_token();
  std::atomic<bool> streaming{false}, told_late{false};
  HttpResponse streamed;
  std::thread client([&] {
    streamed = http(chat_request(token, "[sim:slow]"), "", [&](const std::string& body) {
      streaming = contains(body, "event: token");
      told_late = contains(body, "event: notice");
    });
  });
  wait_for([&] { return streaming.load(); });
  BOOST_REQUIRE(std::system("scripts/test-stack pg-stop >/dev/null") == 0);
  wait_for([&] { return told_late.load(); });  // the reply has ended (~8 s); its store is late
  HttpResponse meanwhile = post_chat(token, "next question");
  BOOST_REQUIRE(std::system("scripts/test-stack pg-start >/dev/null") == 0);
  client.join();
  BOOST_TEST(meanwhile.status == 409, meanwhile.body);  // the session is still claimed
  BOOST_TEST(contains(streamed.body, "event: notice"), streamed.body.substr(0, 300));
  BOOST_TEST(done(streamed), streamed.body.substr(streamed.body.size() > 300 ? streamed.body.size() - 300 : 0));
  Rows rows = sql("SELECT contents, outcome FROM chats WHERE session_uuid = $1 AND "
                  "message_type = 'assistant'", {uuid_of(token)});
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0][0] == reply_text(events_of(streamed.body)));
  BOOST_TEST(rows[0][1] == "complete");
  BOOST_TEST(done(post_chat(token, "and now? [sim:echo]")));
}

BOOST_AUTO_TEST_CASE(reloads_and_sighup_do_not_break_streams) {
  const std::string dir = env("STACK_DIR");
  HttpResponse streamed;
  std::thread client([&] { streamed = post_chat(session_token(), "[sim:slow]"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  BOOST_REQUIRE(kill(std::stoi(read_file(dir + "/nginx.pid")), SIGHUP) == 0);  // nginx reload
  BOOST_REQUIRE(kill(worker_pid(), SIGHUP) == 0);
  client.join();
  BOOST_TEST(done(streamed), streamed.body.substr(0, 300));
  BOOST_TEST(get(page_url("demo")).status == 200);
}

BOOST_AUTO_TEST_CASE(sigterm_drains_streams_and_the_supervisor_restarts_the_worker) {
  const std::string token = session_token();
  Progress progress;
  HttpResponse streamed;
  std::thread client = chat_in_background(token, "[sim:long] [sim:slow]", progress, streamed);
  wait_for([&] { return progress.streaming == 1; });
  pid_t old_pid = worker_pid();
  BOOST_REQUIRE(kill(old_pid, SIGTERM) == 0);
  client.join();
  // The grace period (SHUTDOWN_GRACE_S=3 in the test stack) ends the slow stream with a
  // clear error; what was shown is stored.
  BOOST_TEST(contains(last_error(streamed), "restarting"), streamed.body.substr(0, 200));
  const std::string shown = reply_text(events_of(streamed.body));
  BOOST_TEST(!shown.empty());
  BOOST_TEST(sql_value("SELECT contents FROM chats WHERE session_uuid = $1 AND "
                       "message_type = 'assistant'", {uuid_of(token)}) == shown);
  wait_for_new_worker(old_pid);
  const std::string log = read_file(env("STACK_DIR") + "/worker.log");
  BOOST_TEST(contains(log, "\"msg\":\"stopped\""));
  BOOST_TEST(contains(log, "worker exited with status 0"));  // a clean exit, then restarted
  BOOST_TEST(done(post_chat(token, "after restart [sim:echo]")));
}

BOOST_AUTO_TEST_CASE(a_killed_worker_gives_a_friendly_page_until_it_is_restarted) {
  const std::string dir = env("STACK_DIR");
  pid_t supervisor = read_pid(dir + "/supervisor.pid");
  pid_t old_pid = worker_pid();
  BOOST_REQUIRE(kill(supervisor, SIGSTOP) == 0);  // hold the restart to look at the gap
  BOOST_REQUIRE(kill(old_pid, SIGKILL) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  HttpResponse page = get(page_url("demo"));
  HttpResponse chat_down = post_chat(session_token(), "hello");
  HttpResponse health_down = get(base_url() + "/healthz");
  HttpResponse static_down = get(base_url() + "/static/app.css");
  kill(supervisor, SIGCONT);
  BOOST_TEST(page.status == 503);
  BOOST_TEST(contains(page.body, "Resume chat is restarting"));
  BOOST_TEST(!contains(page.body, "nginx"));
  BOOST_TEST(chat_down.status == 502);
  expect_security_headers(page, "503 restart page");
  expect_security_headers(chat_down, "chat 502");
  expect_security_headers(health_down, "/healthz 502");
  expect_security_headers(static_down, "static file, worker down");
  wait_for_new_worker(old_pid);
}

BOOST_AUTO_TEST_SUITE_END()
