// A small thread-safe pool of libpq connections with an RAII lease.
//
// Connections are opened lazily up to `pool_max`, with TLS and timeouts from DatabaseConfig.
// A lease waits at most `acquire_timeout_ms` for a free connection, then fails: never a
// deadlock. Before an idle connection is handed out, its socket is checked without a round
// trip; a connection the server closed (restart, failover) is replaced. A lease whose query
// failed with CONNECTION_BAD is discarded on return instead of being pooled. The mutex
// guards only the pool's lists and counts: connecting, the liveness check and PQfinish run
// outside it, so a slow socket holds up only its own request.
//
// Every statement run through a lease gets `statement_timeout_ms` (see DbLease::exec), so
// a lock or a slow plan holds a request thread that long at most, whatever the role's own
// settings and also through PgBouncer in transaction mode.
#ifndef RESUME_CHAT_DB_POOL_H_
#define RESUME_CHAT_DB_POOL_H_

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "resume_chat/config.h"
#include "resume_chat/status.h"

namespace resume_chat {

struct PgConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnCloser>;

struct PgResultCloser {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultCloser>;

class DbPool;

// One parameterized statement of a pipeline (exec_pipeline).
struct Statement {
  const char* sql;
  std::vector<std::string> params;
};

// Exclusive use of one connection; returns it to the pool when destroyed.
class DbLease {
 public:
  DbLease() = default;
  DbLease(DbLease&& other) noexcept;
  DbLease& operator=(DbLease&& other) noexcept;
  ~DbLease();

  explicit operator bool() const { return conn_ != nullptr; }
  PGconn* get() const { return conn_.get(); }

  // Runs one parameterized statement with the pool's statement timeout (exec_params).
  PgResultPtr exec(const char* sql, const std::vector<std::string>& params) const;
  // Runs several in one round trip and one transaction (exec_pipeline); a result per
  // statement, not OK (PGRES_PIPELINE_ABORTED, or null) for those not run after one failed.
  std::vector<PgResultPtr> exec_all(const std::vector<Statement>& statements) const;
  const std::string& error() const { return error_; }  // why acquisition failed

 private:
  friend class DbPool;
  DbLease(DbPool* pool, PgConnPtr conn) : pool_(pool), conn_(std::move(conn)) {}
  explicit DbLease(std::string error) : error_(std::move(error)) {}
  void release();

  DbPool* pool_ = nullptr;
  PgConnPtr conn_;
  std::string error_;
};

struct DbPoolStats {
  int open = 0, idle = 0, in_use = 0;
  long waits = 0, timeouts = 0, replaced = 0;
};

class DbPool {
 public:
  explicit DbPool(DatabaseConfig config);
  ~DbPool();
  DbPool(const DbPool&) = delete;
  DbPool& operator=(const DbPool&) = delete;

  // Opens the first connection (the seed's "pool created"); an error has libpq's reason.
  Status open();

  // A connection, or an empty lease whose error() says why (unreachable, or timed out
  // after DB_ACQUIRE_TIMEOUT_MS, or after `wait` when given).
  DbLease acquire();
  DbLease acquire(std::chrono::milliseconds wait);

  // Closes idle connections and refuses new leases; leased ones close when returned.
  void close();

  DbPoolStats stats() const;

 private:
  friend class DbLease;
  PgConnPtr connect(std::string& error) const;
  void give_back(PgConnPtr conn);
  // Under mu_: an idle connection to check (`conn` set), a free slot to connect (true), or
  // neither: closed or timed out (`error` set).
  bool reserve(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::time_point deadline,
               PgConnPtr& conn, std::string& error);
  void forget_one(bool replaced);  // a reserved slot is gone: count it, wake a waiter

  const DatabaseConfig config_;
  mutable std::mutex mu_;
  std::condition_variable available_;
  // State below is guarded by mu_.
  std::vector<PgConnPtr> idle_;
  int open_ = 0;  // idle + leased + being connected
  bool closed_ = false;
  DbPoolStats counters_;
};

// Runs `statements` as one pipeline closed by one Sync: one round trip, one implicit
// transaction (a failure rolls back every statement), each with the statement timeout as
// exec_params sets it. A result per statement; after a failure the rest are not OK: the
// server's PGRES_PIPELINE_ABORTED, or null when the connection broke or a send failed.
std::vector<PgResultPtr> exec_pipeline(PGconn* conn, const std::vector<Statement>& statements,
                                       int statement_timeout_ms = 0);

// Runs one parameterized statement (unnamed: safe behind PgBouncer). With
// `statement_timeout_ms` > 0 the server cancels it after that long (SQLSTATE 57014): the
// setting and the statement share one pipeline, so one round trip and one implicit
// transaction, which the setting does not outlive (see db_pool.cc).
PgResultPtr exec_params(PGconn* conn, const char* sql, const std::vector<std::string>& params,
                        int statement_timeout_ms = 0);

// True for PGRES_COMMAND_OK / PGRES_TUPLES_OK.
bool result_ok(const PGresult* result);

// libpq's message for the last failure, on one line.
std::string last_error(PGconn* conn, const PGresult* result);

}  // namespace resume_chat

#endif  // RESUME_CHAT_DB_POOL_H_
