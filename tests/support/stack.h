// Test support: the running test stack (scripts/test-stack) as seen by a test: its URLs,
// SQL on its database, and running the worker binary with a chosen environment.
#ifndef RESUME_CHAT_TESTS_SUPPORT_STACK_H_
#define RESUME_CHAT_TESTS_SUPPORT_STACK_H_

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "resume_chat/config.h"

namespace test_support {

inline std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) throw std::runtime_error(std::string("test stack not running: ") + name);
  return value;
}

inline std::string base_url() { return env("BASE_URL"); }

// The stack's database as the worker sees it (its least-privilege role), for a pool of the
// test's own.
inline resume_chat::DatabaseConfig stack_database(int pool_max, int acquire_timeout_ms) {
  resume_chat::DatabaseConfig db;
  db.host = env("DATABASE_HOST");
  db.port = env("DATABASE_PORT");
  db.name = env("DATABASE_NAME");
  db.user = env("DATABASE_USER");
  db.password = env("DATABASE_PASSWORD");
  db.pool_max = pool_max;
  db.acquire_timeout_ms = acquire_timeout_ms;
  return db;
}

// Rows of a query on the stack's database, as text; throws on SQL errors. Runs as the
// tables' owner, or with `as_app` as the worker's least-privilege role.
using Rows = std::vector<std::vector<std::string>>;
inline Rows sql(const std::string& query, const std::vector<std::string>& params = {},
                bool as_app = false) {
  const char* keys[] = {"host", "port", "dbname", "user", "password", nullptr};
  std::string host = env("DATABASE_HOST"), port = env("DATABASE_PORT"),
              name = env("DATABASE_NAME"), user = env(as_app ? "DATABASE_USER" : "DB_ADMIN_USER"),
              password = env(as_app ? "DATABASE_PASSWORD" : "DB_ADMIN_PASSWORD");
  const char* values[] = {host.c_str(), port.c_str(), name.c_str(), user.c_str(),
                          password.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 0);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string error = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("test sql connect: " + error);
  }
  std::vector<const char*> args;
  for (const auto& p : params) args.push_back(p.c_str());
  PGresult* result = PQexecParams(conn, query.c_str(), static_cast<int>(args.size()), nullptr,
                                  args.data(), nullptr, nullptr, 0);
  Rows rows;
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string error = PQresultErrorMessage(result);
    PQclear(result);
    PQfinish(conn);
    throw std::runtime_error("test sql: " + error);
  }
  for (int r = 0; r < PQntuples(result); ++r) {
    rows.emplace_back();
    for (int c = 0; c < PQnfields(result); ++c) rows.back().push_back(PQgetvalue(result, r, c));
  }
  PQclear(result);
  PQfinish(conn);
  return rows;
}

inline std::string sql_value(const std::string& query, const std::vector<std::string>& params = {},
                             bool as_app = false) {
  Rows rows = sql(query, params, as_app);
  return rows.empty() || rows[0].empty() ? "" : rows[0][0];
}

struct ProcessResult {
  int exit_code = -1;  // -1: killed by the timeout
  std::string output;  // stdout and stderr
};

// Runs `argv` with exactly `environment` (plus PATH) in `cwd`; kills it after
// `timeout_s`. Used for startup checks, which must end on their own.
inline ProcessResult run_process(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& environment,
                                 int timeout_s, const std::string& cwd = ".") {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    close(pipe_fds[0]);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    std::vector<std::string> env_strings{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    for (const auto& [k, v] : environment) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp, args;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (auto& a : argv_copy) args.push_back(a.data());
    args.push_back(nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  ProcessResult result;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// The stack's environment for the worker, as a map to modify per test.
inline std::map<std::string, std::string> worker_env() {
  std::map<std::string, std::string> e;
  for (const char* name : {"ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_CA_FILE", "DATABASE_HOST",
                           "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER",
                           "DATABASE_PASSWORD", "SESSION_SECRET"}) {
    e[name] = env(name);
  }
  e["FCGI_SOCKET"] = "127.0.0.1:0";
  return e;
}

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_STACK_H_
