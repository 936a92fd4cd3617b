// A small thread-safe pool of libpq connections with an RAII lease.
//
// Connections are opened lazily up to `pool_max`, with TLS and timeouts from DatabaseConfig.
// A lease waits at most `acquire_timeout_ms` for a free connection, then fails: never a
// deadlock. Before an idle connection is handed out, its socket is checked without a round
// trip; a connection the server closed (restart, failover) is replaced. A lease whose query
// failed with CONNECTION_BAD is discarded on return instead of being pooled.
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

// Exclusive use of one connection; returns it to the pool when destroyed.
class DbLease {
 public:
  DbLease() = default;
  DbLease(DbLease&& other) noexcept;
  DbLease& operator=(DbLease&& other) noexcept;
  ~DbLease();

  explicit operator bool() const { return conn_ != nullptr; }
  PGconn* get() const { return conn_.get(); }
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

  // Opens the first connection (the seed's "pool created"). Returns "" or libpq's reason.
  std::string open();

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

  const DatabaseConfig config_;
  mutable std::mutex mu_;
  std::condition_variable available_;
  // State below is guarded by mu_.
  std::vector<PgConnPtr> idle_;
  int open_ = 0;  // idle + leased + being connected
  bool closed_ = false;
  DbPoolStats counters_;
};

// Runs one parameterized statement (PQexecParams, unnamed: safe behind PgBouncer).
PgResultPtr exec_params(PGconn* conn, const char* sql, const std::vector<std::string>& params);

// True for PGRES_COMMAND_OK / PGRES_TUPLES_OK.
bool result_ok(const PGresult* result);

// libpq's message for the last failure, on one line.
std::string last_error(PGconn* conn, const PGresult* result);

}  // namespace resume_chat

#endif  // RESUME_CHAT_DB_POOL_H_
