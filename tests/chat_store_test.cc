// The seed's database functions and a chat's start, as the worker's least-privilege role
// against a PostgreSQL of its own (support/throwaway_postgres.h): documents by name,
// messages by session, and start_chat's verdicts (started, no document, session busy,
// over budget, regenerate).
#define BOOST_TEST_MODULE chat_store
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/chat_store.h"
#include "resume_chat/session_token.h"
#include "support/throwaway_postgres.h"

using namespace resume_chat;
using test_support::ThrowawayPostgres;

BOOST_TEST_GLOBAL_FIXTURE(ThrowawayPostgres);

namespace {

DbPool& worker_pool() {
  static DbPool pool(ThrowawayPostgres::get().app());
  return pool;
}

ChatStartRequest request(const std::string& session, const std::string& question) {
  ChatStartRequest r;
  r.session_uuid = session;
  r.document_name = "demo";
  r.reply_uuid = new_uuid4();
  r.question = question;
  r.max_tokens = 100;
  r.history_bytes = 1 << 20;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(documents_are_found_by_exact_name) {
  DocumentLookup demo = get_document_by_name(worker_pool(), "demo");
  BOOST_TEST((demo.status == Lookup::kFound));
  BOOST_TEST(demo.document.name == "demo");
  BOOST_TEST(!demo.document.resume.empty());
  BOOST_TEST(!demo.document.jd.empty());
  BOOST_TEST((get_document_by_name(worker_pool(), "Demo").status == Lookup::kNotFound));
  BOOST_TEST((get_document_by_name(worker_pool(), "demo' OR '1'='1").status == Lookup::kNotFound));
  BOOST_TEST((get_document_by_name(worker_pool(), std::string(256, 'a')).status == Lookup::kNotFound));
}

BOOST_AUTO_TEST_CASE(an_unreachable_database_is_an_error_with_a_reason) {
  DatabaseConfig db = ThrowawayPostgres::get().app();
  db.port = "1";
  DbPool pool(db);
  DocumentLookup lookup = get_document_by_name(pool, "demo");
  BOOST_TEST((lookup.status == Lookup::kDatabaseError));
  BOOST_TEST(!lookup.error.empty());
  BOOST_TEST(!test_connection(pool).ok());
  BOOST_TEST(!save_message(pool, new_uuid4(), "user", "x").ok());
  BOOST_TEST(!get_session_history(pool, new_uuid4()).ok());
  Result<ChatStart> start = start_chat(pool, request(new_uuid4(), "hi"));
  BOOST_TEST(!start.ok());
  BOOST_TEST(!start.status().message().empty());
  BOOST_TEST(test_connection(worker_pool()).ok());
}

BOOST_AUTO_TEST_CASE(messages_round_trip_in_order_and_verbatim) {
  const std::string session = new_uuid4();
  BOOST_TEST(save_message(worker_pool(), session, "user", "it's a 'quote'; DROP", "demo").ok());
  BOOST_TEST(save_message(worker_pool(), session, "assistant", "r\xC3\xA9ply").ok());
  BOOST_TEST(!save_message(worker_pool(), session, "bogus", "x").ok());
  auto history = get_session_history(worker_pool(), session);
  BOOST_REQUIRE(history.ok());
  BOOST_REQUIRE(history->size() == 2u);
  BOOST_TEST(history.value()[0].message_type == "user");
  BOOST_TEST(history.value()[0].contents == "it's a 'quote'; DROP");
  BOOST_TEST(history.value()[1].contents == "r\xC3\xA9ply");
  BOOST_TEST(!history.value()[1].superseded);
  auto none = get_session_history(worker_pool(), new_uuid4());
  BOOST_TEST(none.ok());
  BOOST_TEST(none->empty());
}

BOOST_AUTO_TEST_CASE(a_chat_starts_with_the_document_the_claim_and_the_question) {
  const std::string session = new_uuid4();
  Result<ChatStart> start = start_chat(worker_pool(), request(session, "first?"));
  BOOST_REQUIRE(start.ok());
  BOOST_TEST((start->verdict == ChatStartVerdict::kStarted));
  BOOST_TEST(start->document.name == "demo");
  BOOST_TEST(!start->document.resume.empty());
  BOOST_TEST(start->question_stored);
  BOOST_REQUIRE(start->history.size() == 1u);
  BOOST_TEST(start->history.back().contents == "first?");
  BOOST_TEST(start->older_messages == 0u);
  BOOST_TEST(start->reserved == 0);  // no budget: nothing reserved

  // The session is claimed by that reply: another one is refused and writes nothing.
  Result<ChatStart> second = start_chat(worker_pool(), request(session, "second?"));
  BOOST_REQUIRE(second.ok());
  BOOST_TEST((second->verdict == ChatStartVerdict::kSessionBusy));
  BOOST_TEST(!second->question_stored);
  BOOST_TEST(get_session_history(worker_pool(), session)->size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_unknown_document_starts_nothing) {
  ChatStartRequest r = request(new_uuid4(), "hello?");
  r.document_name = "nobody";
  Result<ChatStart> start = start_chat(worker_pool(), r);
  BOOST_REQUIRE(start.ok());
  BOOST_TEST((start->verdict == ChatStartVerdict::kNoDocument));
  BOOST_TEST(get_session_history(worker_pool(), r.session_uuid)->empty());
}

BOOST_AUTO_TEST_CASE(a_regenerate_supersedes_the_replies_and_stores_the_question_once) {
  const std::string session = new_uuid4();
  ChatStartRequest first = request(session, "why?");
  first.claim_seconds = 0;  // the claim lapses at once, as when the reply has ended
  BOOST_REQUIRE(start_chat(worker_pool(), first).ok());
  BOOST_TEST(save_message(worker_pool(), session, "assistant", "because (cut)").ok());
  ChatStartRequest again = request(session, "why?");
  again.regenerate = true;
  Result<ChatStart> start = start_chat(worker_pool(), again);
  BOOST_REQUIRE(start.ok());
  BOOST_TEST((start->verdict == ChatStartVerdict::kStarted));
  BOOST_TEST(!start->question_stored);
  BOOST_TEST(start->superseded == 1);
  BOOST_REQUIRE(start->history.size() == 1u);  // the superseded reply is no longer history
  BOOST_TEST(start->history[0].contents == "why?");
  auto stored = get_session_history(worker_pool(), session);
  BOOST_REQUIRE(stored->size() == 2u);  // kept, marked
  BOOST_TEST(stored.value()[1].superseded);
}

BOOST_AUTO_TEST_CASE(a_spent_daily_budget_refuses_and_says_when_it_resets) {
  ChatStartRequest first = request(new_uuid4(), "a");
  first.daily_budget = 1;  // the first reservation takes it all
  Result<ChatStart> admitted = start_chat(worker_pool(), first);
  BOOST_REQUIRE(admitted.ok());
  BOOST_TEST((admitted->verdict == ChatStartVerdict::kStarted));
  BOOST_TEST(admitted->reserved > 100);  // max_tokens plus the document's estimate
  BOOST_TEST(!admitted->reserved_day.empty());
  ChatStartRequest next = request(new_uuid4(), "b");
  next.daily_budget = 1;
  Result<ChatStart> refused = start_chat(worker_pool(), next);
  BOOST_REQUIRE(refused.ok());
  BOOST_TEST((refused->verdict == ChatStartVerdict::kOverBudget));
  BOOST_TEST(refused->reserved == 0);
  BOOST_TEST(refused->seconds_to_reset > 0);
  BOOST_TEST(refused->seconds_to_reset <= 86400);
  BOOST_TEST(get_session_history(worker_pool(), next.session_uuid)->empty());
}
