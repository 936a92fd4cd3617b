// Test support: a PostgreSQL cluster of the test program's own, for the unit tests of the
// database layer (db_pool, schema). Started by scripts/lib/stack.sh's start_postgres and
// prepare_database (the same migrations, the same least-privilege role as every stack; as
// root, the server runs as the 'postgres' user), on a free loopback port, under
// .run/unit-pg.XXXXXX; stopped and removed when the program ends. Needs the PostgreSQL
// server binaries (scripts/install-deps) and the repository root as working directory.
//
// Use: BOOST_TEST_GLOBAL_FIXTURE(test_support::ThrowawayPostgres); then
// ThrowawayPostgres::get().admin() / app() in the tests.
#ifndef RESUME_CHAT_TESTS_SUPPORT_THROWAWAY_POSTGRES_H_
#define RESUME_CHAT_TESTS_SUPPORT_THROWAWAY_POSTGRES_H_

#include <libpq-fe.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "resume_chat/config.h"

namespace test_support {

class ThrowawayPostgres {
 public:
  static constexpr const char* kDatabase = "resume_chat";
  static constexpr const char* kAdminUser = "resume_chat";
  static constexpr const char* kAdminPassword = "unit-admin-pw";
  static constexpr const char* kAppUser = "resume_chat_app";
  static constexpr const char* kAppPassword = "unit-app-pw";

  ThrowawayPostgres() {
    ::mkdir(".run", 0755);
    char dir[] = ".run/unit-pg.XXXXXX";
    if (::mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp under .run/ failed");
    dir_ = dir;
    if (!stack_shell("start_postgres && prepare_database >/dev/null")) {
      stack_shell("stop_postgres");
      throw std::runtime_error("the throwaway PostgreSQL did not start (" + dir_ + ")");
    }
    std::ifstream(dir_ + "/pg_port") >> port_;
    current_ = this;
  }
  ~ThrowawayPostgres() {
    current_ = nullptr;
    stack_shell("stop_postgres");
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  ThrowawayPostgres(const ThrowawayPostgres&) = delete;
  ThrowawayPostgres& operator=(const ThrowawayPostgres&) = delete;

  static ThrowawayPostgres& get() { return *current_; }

  // As the owner of the tables (DB_ADMIN_USER), or as the worker's role.
  resume_chat::DatabaseConfig admin() const { return config(kAdminUser, kAdminPassword); }
  resume_chat::DatabaseConfig app() const { return config(kAppUser, kAppPassword); }
  const std::string& port() const { return port_; }

  // Runs `sql` as the owner; throws with the server's message if it fails.
  void admin_sql(const std::string& sql) const {
    const resume_chat::DatabaseConfig db = admin();
    const std::string conninfo = "host=127.0.0.1 port=" + port_ + " dbname=" + db.name +
                                 " user=" + db.user + " password=" + db.password;
    PGconn* conn = PQconnectdb(conninfo.c_str());
    PGresult* result = PQexec(conn, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    const std::string error = PQerrorMessage(conn);
    PQclear(result);
    PQfinish(conn);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      throw std::runtime_error(sql + ": " + error);
    }
  }

 private:
  resume_chat::DatabaseConfig config(const char* user, const char* password) const {
    resume_chat::DatabaseConfig db;
    db.host = "127.0.0.1";
    db.port = port_;
    db.name = kDatabase;
    db.user = user;
    db.password = password;
    return db;
  }

  // COMMANDS in bash with scripts/lib/stack.sh sourced and this cluster's settings.
  bool stack_shell(const std::string& commands) const {
    std::string env = std::string("STACK_DIR='") + dir_ + "' DATABASE_NAME=" + kDatabase +
                      " DB_ADMIN_USER=" + kAdminUser + " DB_ADMIN_PASSWORD=" + kAdminPassword +
                      " DATABASE_USER=" + kAppUser + " DATABASE_PASSWORD=" + kAppPassword;
    if (!port_.empty()) env += " DATABASE_HOST=127.0.0.1 DATABASE_PORT=" + port_;
    return std::system((env + " bash -c 'source scripts/lib/stack.sh && " + commands + "'").c_str()) == 0;
  }

  std::string dir_, port_;
  static inline ThrowawayPostgres* current_ = nullptr;
};

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_THROWAWAY_POSTGRES_H_
