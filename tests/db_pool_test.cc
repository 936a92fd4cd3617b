// The connection pool against a PostgreSQL of its own (support/throwaway_postgres.h): lazy
// growth, the acquire timeout and the waiter a returned lease wakes, a connection the
// server killed replaced on checkout, a lease left mid-transaction discarded, close(), and
// the statement timeout and one-transaction pipeline every statement runs in.
#define BOOST_TEST_MODULE db_pool
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <future>
#include <thread>

#include "resume_chat/db_pool.h"
#include "support/throwaway_postgres.h"

using namespace resume_chat;
using test_support::ThrowawayPostgres;
using namespace std::chrono_literals;

BOOST_TEST_GLOBAL_FIXTURE(ThrowawayPostgres);

namespace {

DatabaseConfig database(int pool_max, int acquire_timeout_ms = 1000) {
  DatabaseConfig db = ThrowawayPostgres::get().admin();
  db.pool_max = pool_max;
  db.acquire_timeout_ms = acquire_timeout_ms;
  return db;
}

std::string value(const DbLease& lease, const char* sql) {
  PgResultPtr result = lease.exec(sql, {});
  BOOST_REQUIRE_MESSAGE(result_ok(result.get()), sql << ": " << last_error(lease.get(), result.get()));
  return PQgetvalue(result.get(), 0, 0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(connections_open_lazily_and_are_reused) {
  DbPool pool(database(3));
  BOOST_TEST(pool.stats().open == 0);
  BOOST_TEST(pool.open().ok());
  BOOST_TEST(pool.stats().open == 1);
  BOOST_TEST(pool.stats().idle == 1);
  std::string first_pid;
  {
    DbLease lease = pool.acquire();
    BOOST_REQUIRE(lease);
    first_pid = value(lease, "SELECT pg_backend_pid()");
    BOOST_TEST(pool.stats().in_use == 1);
  }
  DbLease again = pool.acquire();
  BOOST_TEST(value(again, "SELECT pg_backend_pid()") == first_pid);
  BOOST_TEST(value(again, "SELECT current_setting('application_name')") == "resume-chat");
  BOOST_TEST(pool.stats().open == 1);
}

BOOST_AUTO_TEST_CASE(an_exhausted_pool_times_out_with_a_reason) {
  DbPool pool(database(1, 100));
  DbLease held = pool.acquire();
  BOOST_REQUIRE(held);
  DbLease refused = pool.acquire();
  BOOST_TEST(!refused);
  BOOST_TEST(refused.error() == "timed out waiting for a free database connection");
  BOOST_TEST(pool.acquire(10ms).error() == "timed out waiting for a free database connection");
  DbPoolStats stats = pool.stats();
  BOOST_TEST(stats.timeouts == 2);
  BOOST_TEST(stats.waits == 2);
  BOOST_TEST(stats.open == 1);  // never more than pool_max
}

BOOST_AUTO_TEST_CASE(a_returned_lease_wakes_a_waiter) {
  DbPool pool(database(1, 60000));
  DbLease held = pool.acquire();
  BOOST_REQUIRE(held);
  const std::string pid = value(held, "SELECT pg_backend_pid()");
  std::promise<void> waiting;
  auto waiter = std::async(std::launch::async, [&] {
    waiting.set_value();
    DbLease lease = pool.acquire();
    return lease ? value(lease, "SELECT pg_backend_pid()") : lease.error();
  });
  waiting.get_future().wait();
  while (pool.stats().waits == 0) std::this_thread::sleep_for(1ms);
  held = DbLease();  // returned: the waiter gets this very connection
  BOOST_TEST(waiter.get() == pid);
  BOOST_TEST(pool.stats().timeouts == 0);
}

// A restart, a failover or an idle timeout closes pooled connections from the server's
// side: the next checkout notices without a round trip and connects anew.
BOOST_AUTO_TEST_CASE(a_connection_the_server_closed_is_replaced_on_checkout) {
  DbPool pool(database(2));
  std::string pid;
  {
    DbLease lease = pool.acquire();
    BOOST_REQUIRE(lease);
    pid = value(lease, "SELECT pg_backend_pid()");
  }
  ThrowawayPostgres::get().admin_sql("SELECT pg_terminate_backend(" + pid + ")");
  // pg_terminate_backend only signals: wait until that backend has gone.
  for (int i = 0; i < 500; ++i) {
    DbPool probe(database(1));
    DbLease other = probe.acquire();
    if (value(other, ("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid).c_str()) == "0") break;
    std::this_thread::sleep_for(10ms);
  }
  DbLease lease = pool.acquire();
  BOOST_REQUIRE(lease);
  BOOST_TEST(value(lease, "SELECT pg_backend_pid()") != pid);
  BOOST_TEST(pool.stats().replaced == 1);
  BOOST_TEST(pool.stats().open == 1);
}

BOOST_AUTO_TEST_CASE(a_lease_left_in_a_transaction_is_not_pooled) {
  DbPool pool(database(2));
  std::string pid;
  {
    DbLease lease = pool.acquire();
    pid = value(lease, "SELECT pg_backend_pid()");
    BOOST_TEST(result_ok(exec_params(lease.get(), "BEGIN", {}).get()));
  }
  BOOST_TEST(pool.stats().open == 0);  // closed, not handed to the next request mid-transaction
  DbLease next = pool.acquire();
  BOOST_TEST(value(next, "SELECT pg_backend_pid()") != pid);
}

BOOST_AUTO_TEST_CASE(close_refuses_new_leases_and_wakes_waiters) {
  DbPool pool(database(1, 60000));
  DbLease held = pool.acquire();
  BOOST_REQUIRE(held);
  auto waiter = std::async(std::launch::async, [&] { return pool.acquire().error(); });
  while (pool.stats().waits == 0) std::this_thread::sleep_for(1ms);
  pool.close();
  BOOST_TEST(waiter.get() == "the database pool is closed");
  BOOST_TEST(pool.acquire().error() == "the database pool is closed");
  BOOST_TEST(pool.stats().open == 1);  // the leased one, still usable by its holder
  BOOST_TEST(value(held, "SELECT 1") == "1");
  held = DbLease();
  BOOST_TEST(pool.stats().open == 0);  // closed when returned
  BOOST_TEST(pool.stats().idle == 0);
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_is_libpqs_reason_and_frees_the_slot) {
  DatabaseConfig db = database(1);
  db.port = "1";  // nothing listens there
  DbPool pool(db);
  const std::string error = pool.open().message();
  BOOST_TEST(!error.empty());
  BOOST_TEST(error.find('\n') == std::string::npos);
  BOOST_TEST(error.find(db.password) == std::string::npos);
  BOOST_TEST(pool.stats().open == 0);
  BOOST_TEST(pool.acquire().error() == error);  // not a timeout: the slot was given back
}

BOOST_AUTO_TEST_CASE(each_statement_runs_with_the_statement_timeout) {
  DatabaseConfig db = database(1);
  db.statement_timeout_ms = 200;
  DbPool pool(db);
  DbLease lease = pool.acquire();
  BOOST_TEST(value(lease, "SELECT current_setting('statement_timeout')") == "200ms");
  PgResultPtr slow = lease.exec("SELECT pg_sleep(30)", {});
  BOOST_TEST(!result_ok(slow.get()));
  BOOST_TEST(std::string(PQresultErrorField(slow.get(), PG_DIAG_SQLSTATE)) == "57014");
  BOOST_TEST(PQtransactionStatus(lease.get()) == PQTRANS_IDLE);
  PgResultPtr session = exec_params(lease.get(), "SHOW statement_timeout", {});
  BOOST_TEST(std::string(PQgetvalue(session.get(), 0, 0)) == "0");  // the setting did not outlive it
}

BOOST_AUTO_TEST_CASE(a_pipeline_is_one_transaction) {
  ThrowawayPostgres::get().admin_sql("CREATE TABLE pipeline_probe (x int PRIMARY KEY)");
  DbPool pool(database(1));
  DbLease lease = pool.acquire();
  std::vector<PgResultPtr> results = lease.exec_all({{"INSERT INTO pipeline_probe VALUES ($1)", {"1"}},
                                                     {"INSERT INTO pipeline_probe VALUES ($1)", {"1"}},
                                                     {"INSERT INTO pipeline_probe VALUES ($1)", {"2"}}});
  BOOST_REQUIRE(results.size() == 3u);
  BOOST_TEST(result_ok(results[0].get()));
  BOOST_TEST(!result_ok(results[1].get()));
  BOOST_TEST(!result_ok(results[2].get()));  // not run after the failure
  if (results[2]) BOOST_TEST(PQresultStatus(results[2].get()) == PGRES_PIPELINE_ABORTED);
  BOOST_TEST(value(lease, "SELECT count(*) FROM pipeline_probe") == "0");  // the first rolled back
  results = lease.exec_all({{"INSERT INTO pipeline_probe VALUES ($1)", {"1"}},
                            {"INSERT INTO pipeline_probe VALUES ($1)", {"2"}}});
  BOOST_TEST(result_ok(results[0].get()));
  BOOST_TEST(result_ok(results[1].get()));
  BOOST_TEST(value(lease, "SELECT count(*) FROM pipeline_probe") == "2");
  ThrowawayPostgres::get().admin_sql("DROP TABLE pipeline_probe");
}

BOOST_AUTO_TEST_CASE(parameters_are_never_sql) {
  DbPool pool(database(1));
  DbLease lease = pool.acquire();
  PgResultPtr result = lease.exec("SELECT $1::text", {"'; DROP TABLE chats; --"});
  BOOST_REQUIRE(result_ok(result.get()));
  BOOST_TEST(std::string(PQgetvalue(result.get(), 0, 0)) == "'; DROP TABLE chats; --");
}
