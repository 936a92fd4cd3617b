// The startup check of the migrations against a PostgreSQL of its own
// (support/throwaway_postgres.h): all there, a grant missing, a migration missing, no
// database to ask. Each failure names what is missing and the migration that adds it.
#define BOOST_TEST_MODULE schema
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/schema.h"
#include "support/throwaway_postgres.h"

using namespace resume_chat;
using test_support::ThrowawayPostgres;

BOOST_TEST_GLOBAL_FIXTURE(ThrowawayPostgres);

namespace {

std::string check_as(const DatabaseConfig& db) {
  DbPool pool(db);
  return check_schema(pool).message();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

// Test cases run in order: the later ones take parts of the schema away.
BOOST_AUTO_TEST_CASE(every_migration_applied_passes_for_the_owner_and_the_worker_role) {
  BOOST_TEST(check_as(ThrowawayPostgres::get().admin()) == "");
  BOOST_TEST(check_as(ThrowawayPostgres::get().app()) == "");
}

BOOST_AUTO_TEST_CASE(a_role_without_the_grants_is_told_to_apply_them) {
  ThrowawayPostgres::get().admin_sql("CREATE ROLE schema_probe LOGIN PASSWORD 'probe-pw'");
  DatabaseConfig db = ThrowawayPostgres::get().app();
  db.user = "schema_probe";
  db.password = "probe-pw";
  const std::string error = check_as(db);
  BOOST_TEST(contains(error, "the worker's role lacks its grants on column chats.superseded_at"), error);
  BOOST_TEST(contains(error, "migrations/003_superseded_replies.sql with -v app_user=ROLE"), error);
  ThrowawayPostgres::get().admin_sql(
      "GRANT UPDATE (superseded_at) ON chats TO schema_probe; "
      "GRANT SELECT, INSERT, UPDATE ON token_usage TO schema_probe; "
      "GRANT INSERT ON sessions TO schema_probe");
  const std::string next = check_as(db);
  BOOST_TEST(contains(next, "lacks its grants on reply outcomes and session claims"), next);
  BOOST_TEST(contains(next, "migrations/006_reply_outcomes.sql"), next);
}

BOOST_AUTO_TEST_CASE(a_migration_not_applied_is_named_with_its_file) {
  ThrowawayPostgres::get().admin_sql("ALTER TABLE token_usage DROP COLUMN reserved_tokens");
  std::string error = check_as(ThrowawayPostgres::get().admin());
  BOOST_TEST(error == "the database has no reply outcomes and session claims: apply "
                      "migrations/006_reply_outcomes.sql as the tables' owner (docs/operating.md, "
                      "\"Upgrading\")");
  ThrowawayPostgres::get().admin_sql("DROP TABLE token_usage");
  error = check_as(ThrowawayPostgres::get().admin());
  BOOST_TEST(contains(error, "the database has no table token_usage: apply migrations/004_token_usage.sql"), error);
  ThrowawayPostgres::get().admin_sql("ALTER TABLE chats DROP COLUMN superseded_at CASCADE");
  error = check_as(ThrowawayPostgres::get().admin());
  BOOST_TEST(contains(error, "the database has no column chats.superseded_at: apply "
                             "migrations/003_superseded_replies.sql"), error);
}

BOOST_AUTO_TEST_CASE(no_database_to_ask_says_so) {
  DatabaseConfig db = ThrowawayPostgres::get().admin();
  db.port = "1";
  const std::string error = check_as(db);
  BOOST_TEST(contains(error, "cannot check the database schema: "), error);
  ThrowawayPostgres::get().admin_sql("DROP TABLE chats CASCADE");
  const std::string no_table = check_as(ThrowawayPostgres::get().admin());
  BOOST_TEST(contains(no_table, "cannot check the database schema: "), no_table);
  BOOST_TEST(contains(no_table, "chats"), no_table);
}
