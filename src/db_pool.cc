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

std::string DbPool::open() {
  DbLease lease = acquire();
  return lease ? "" : lease.error();
}

DbLease DbPool::acquire() { return acquire(std::chrono::milliseconds(config_.acquire_timeout_ms)); }

DbLease DbPool::acquire(std::chrono::milliseconds wait) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + wait;
  std::unique_lock<std::mutex> lock(mu_);
  bool waited = false;
  for (;;) {
    if (closed_) return DbLease(std::string("the database pool is closed"));
    while (!idle_.empty()) {
      PgConnPtr conn = std::move(idle_.back());
      idle_.pop_back();
      if (still_alive(conn.get())) return DbLease(this, std::move(conn));
      --open_;
      ++counters_.replaced;
    }
    if (open_ < config_.pool_max) break;
    if (!waited) ++counters_.waits;
    waited = true;
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= config_.pool_max) {
      ++counters_.timeouts;
      return DbLease(std::string("timed out waiting for a free database connection"));
    }
  }
  ++open_;  // reserve the slot, then connect without holding the lock
  lock.unlock();
  std::string error;
  PgConnPtr conn = connect(error);
  if (!conn) {
    lock.lock();
    --open_;
    available_.notify_one();
    return DbLease(std::move(error));
  }
  return DbLease(this, std::move(conn));
}

void DbPool::give_back(PgConnPtr conn) {
  bool healthy = PQstatus(conn.get()) == CONNECTION_OK &&
                 PQtransactionStatus(conn.get()) == PQTRANS_IDLE;
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

PgResultPtr exec_params(PGconn* conn, const char* sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  return PgResultPtr(PQexecParams(conn, sql, static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, /*resultFormat=*/0));
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
