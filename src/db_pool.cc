// Connection pool: lazy growth to pool_max, bounded waits, liveness check on checkout.
#include "resume_chat/db_pool.h"

#include <poll.h>

#include <chrono>

#include "resume_chat/log.h"

namespace resume_chat {
namespace {

// An idle connection has nothing to read unless the server sent something unasked: an
// error before closing it (shutdown, restart, idle timeout) or a notice. Reading that
// tells us, without a round trip, whether the connection is still usable.
bool still_alive(PGconn* conn) {
  // A closing server sends its error and then EOF: reading until nothing is pending sees
  // both (the first read consumes the error, a later one the EOF).
  for (int reads = 0; reads < 4 && PQstatus(conn) == CONNECTION_OK; ++reads) {
    pollfd pfd{PQsocket(conn), POLLIN, 0};
    int ready = poll(&pfd, 1, 0);
    if (ready == 0) return true;
    if (ready < 0 || (pfd.revents & (POLLERR | POLLNVAL))) return false;
    if (PQconsumeInput(conn) == 0) return false;
    while (PGresult* stray = PQgetResult(conn)) PQclear(stray);
  }
  return false;
}

// libpq prints server notices (and the FATAL a closing server sends) on stderr; route them
// into the log as JSON lines instead.
void log_notice(void*, const char* message) {
  std::string text = message;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  LogLine("notice").add("msg", "postgresql").add("notice", text).emit();
}

std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return text;
}

}  // namespace

DbLease::DbLease(DbLease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), error_(std::move(other.error_)) {
  other.pool_ = nullptr;
}

DbLease& DbLease::operator=(DbLease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = other.pool_;
    conn_ = std::move(other.conn_);
    error_ = std::move(other.error_);
    other.pool_ = nullptr;
  }
  return *this;
}

DbLease::~DbLease() { release(); }

void DbLease::release() {
  if (pool_ != nullptr && conn_) pool_->give_back(std::move(conn_));
  pool_ = nullptr;
}

DbPool::DbPool(DatabaseConfig config) : config_(std::move(config)) {}

DbPool::~DbPool() { close(); }

PgConnPtr DbPool::connect(std::string& error) const {
  const std::string timeout = std::to_string(config_.connect_timeout_s);
  std::vector<const char*> keys, values;
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    keys.push_back(key);
    values.push_back(value.c_str());
  };
  add("host", config_.host);
  add("hostaddr", config_.hostaddr);
  add("port", config_.port);
  add("dbname", config_.name);
  add("user", config_.user);
  add("password", config_.password);
  add("sslmode", config_.sslmode);
  add("sslrootcert", config_.sslrootcert);
  add("connect_timeout", timeout);
  static const std::string kYes = "1", kIdle = "30", kInterval = "10", kCount = "3",
                           kUserTimeout = "30000";
  add("keepalives", kYes);
  add("keepalives_idle", kIdle);
  add("keepalives_interval", kInterval);
  add("keepalives_count", kCount);
  add("tcp_user_timeout", kUserTimeout);
  add("application_name", config_.application_name);
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PgConnPtr conn(PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/0));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    error = conn ? one_line(PQerrorMessage(conn.get())) : "out of memory";
    return nullptr;
  }
  PQsetNoticeProcessor(conn.get(), log_notice, nullptr);
  return conn;
}

Status DbPool::open() {
  DbLease lease = acquire();
  return lease ? Status::Ok() : Status::Error(lease.error());
}

DbLease DbPool::acquire() { return acquire(std::chrono::milliseconds(config_.acquire_timeout_ms)); }

DbLease DbPool::acquire(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    PgConnPtr conn;
    std::string error;
    std::unique_lock<std::mutex> lock(mu_);
    if (!reserve(lock, deadline, conn, error)) return DbLease(std::move(error));
    lock.unlock();
    if (!conn) {  // a free slot: connect without holding the lock
      conn = connect(error);
      if (conn) return DbLease(this, std::move(conn));
      forget_one(false);
      return DbLease(std::move(error));
    }
    if (still_alive(conn.get())) return DbLease(this, std::move(conn));
    conn.reset();  // PQfinish, outside the lock
    forget_one(true);
  }
}

bool DbPool::reserve(std::unique_lock<std::mutex>& lock,
                     std::chrono::steady_clock::time_point deadline, PgConnPtr& conn,
                     std::string& error) {
  bool waited = false;
  for (;;) {
    if (closed_) {
      error = "the database pool is closed";
      return false;
    }
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
      return true;  // still counted in open_: it is leased while its socket is checked
    }
    if (open_ < config_.pool_max) {
      ++open_;
      return true;
    }
    if (!waited) ++counters_.waits;
    waited = true;
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= config_.pool_max) {
      ++counters_.timeouts;
      error = "timed out waiting for a free database connection";
      return false;
    }
  }
}

void DbPool::forget_one(bool replaced) {
  std::lock_guard<std::mutex> lock(mu_);
  --open_;
  if (replaced) ++counters_.replaced;
  available_.notify_one();
}

void DbPool::give_back(PgConnPtr conn) {
  bool healthy = PQstatus(conn.get()) == CONNECTION_OK &&
                 PQtransactionStatus(conn.get()) == PQTRANS_IDLE &&
                 PQpipelineStatus(conn.get()) == PQ_PIPELINE_OFF;
  if (!healthy) conn.reset();  // close outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  if (healthy && !closed_) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  available_.notify_one();
}

void DbPool::close() {
  std::vector<PgConnPtr> closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    open_ -= static_cast<int>(idle_.size());
    closing.swap(idle_);
  }
  available_.notify_all();
}

DbPoolStats DbPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  DbPoolStats s = counters_;
  s.open = open_;
  s.idle = static_cast<int>(idle_.size());
  s.in_use = open_ - s.idle;
  return s;
}

PgResultPtr DbLease::exec(const char* sql, const std::vector<std::string>& params) const {
  return exec_params(conn_.get(), sql, params,
                     pool_ != nullptr ? pool_->config_.statement_timeout_ms : 0);
}

std::vector<PgResultPtr> DbLease::exec_all(const std::vector<Statement>& statements) const {
  return exec_pipeline(conn_.get(), statements,
                       pool_ != nullptr ? pool_->config_.statement_timeout_ms : 0);
}

namespace {

std::vector<const char*> param_values(const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  return values;
}

// The results of a pipeline of `queries` statements and one Sync: each statement's first
// result (the rest cleared). Stops at the Sync's result, or when the connection breaks.
std::vector<PgResultPtr> pipeline_results(PGconn* conn, size_t queries) {
  std::vector<PgResultPtr> results(queries);
  size_t query = 0;
  for (;;) {
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) {  // the end of one statement's results
      if (PQstatus(conn) == CONNECTION_BAD || ++query > queries) break;
      continue;
    }
    if (PQresultStatus(result) == PGRES_PIPELINE_SYNC) {
      PQclear(result);
      break;
    }
    if (query < queries && !results[query]) {
      results[query].reset(result);
    } else {
      PQclear(result);
    }
  }
  return results;
}

}  // namespace

// The timeout is the worker's own, so it holds whatever role the worker runs as (a role's
// `ALTER ROLE … SET statement_timeout` is only in migrations/002_app_role.sql). How it is
// set matters behind PgBouncer in transaction mode, where consecutive statements may run on
// different server connections shared with other clients:
//   - `options=-c statement_timeout=…` in the conninfo: PgBouncer refuses the startup
//     parameter (and with ignore_startup_parameters it is dropped, not applied);
//   - a session-level SET: lands on whichever server connection ran it, stays there for the
//     next client and is missing where our next statement runs;
//   - BEGIN; SET LOCAL …; statement; COMMIT: correct, but four round trips.
// So: set_config('statement_timeout', ms, is_local => true) and the statement are sent as
// one pipeline closed by one Sync. The extended protocol runs everything up to a Sync as
// one implicit transaction on one server connection, the local setting ends with it (it
// never outlives the statement, nor reaches another client), and the server arms each
// statement's timer when that statement's first message arrives, so the statement runs
// with the new setting. One round trip, only parameterized statements.
std::vector<PgResultPtr> exec_pipeline(PGconn* conn, const std::vector<Statement>& statements,
                                       int statement_timeout_ms) {
  std::vector<PgResultPtr> results(statements.size());
  if (PQenterPipelineMode(conn) != 1) return results;
  const std::string timeout = std::to_string(statement_timeout_ms);
  const char* timeout_value[] = {timeout.c_str()};
  const size_t first = statement_timeout_ms > 0 ? 1 : 0;
  bool sent = first == 0 ||
              PQsendQueryParams(conn, "SELECT set_config('statement_timeout', $1, true)", 1,
                                nullptr, timeout_value, nullptr, nullptr, 0) == 1;
  for (const Statement& statement : statements) {
    if (!sent) break;
    std::vector<const char*> values = param_values(statement.params);
    sent = PQsendQueryParams(conn, statement.sql, static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0) == 1;
  }
  sent = sent && PQpipelineSync(conn) == 1;
  std::vector<PgResultPtr> all;
  if (sent) all = pipeline_results(conn, first + statements.size());
  PQexitPipelineMode(conn);  // fails only on a broken connection, which give_back discards
  if (!sent) return results;
  // A failed setting aborts the statements; its own error says more than "aborted".
  if (first == 1 && !result_ok(all[0].get())) {
    results[0] = std::move(all[0]);
    return results;
  }
  for (size_t i = 0; i < statements.size(); ++i) results[i] = std::move(all[first + i]);
  return results;
}

PgResultPtr exec_params(PGconn* conn, const char* sql, const std::vector<std::string>& params,
                        int statement_timeout_ms) {
  if (statement_timeout_ms <= 0) {
    std::vector<const char*> values = param_values(params);
    return PgResultPtr(PQexecParams(conn, sql, static_cast<int>(values.size()), nullptr,
                                    values.data(), nullptr, nullptr, /*resultFormat=*/0));
  }
  std::vector<PgResultPtr> results = exec_pipeline(conn, {{sql, params}}, statement_timeout_ms);
  return std::move(results[0]);
}

bool result_ok(const PGresult* result) {
  if (result == nullptr) return false;
  ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

std::string last_error(PGconn* conn, const PGresult* result) {
  if (result != nullptr && PQresultErrorMessage(result)[0] != '\0') {
    return one_line(PQresultErrorMessage(result));
  }
  return one_line(PQerrorMessage(conn));
}

}  // namespace resume_chat
