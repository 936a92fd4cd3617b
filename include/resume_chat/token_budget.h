// The daily token budget (DAILY_TOKEN_BUDGET) that protects the API key on a public page.
//
// Every worker adds the tokens of each reply, as it finishes, to one row per UTC day in
// PostgreSQL (token_usage, migrations/004_token_usage.sql); a chat is refused once the
// day's total — input (cache reads and writes included) plus output tokens, of all
// workers — has reached the budget. The database's clock decides the day, so workers on
// several hosts agree and the count survives restarts. A reply that starts under the
// budget runs to its end: the total can pass the budget by what the replies streaming at
// that moment use.
//
// The chat route makes two calls: refusal() before it streams, record() when a reply has
// finished (before `done` is sent, so the next chat sees it). /metrics shows today().
#ifndef RESUME_CHAT_TOKEN_BUDGET_H_
#define RESUME_CHAT_TOKEN_BUDGET_H_

#include <cstdint>
#include <optional>
#include <string>

#include "resume_chat/db_pool.h"

namespace resume_chat {

struct TokenCounts {
  int64_t input = 0, output = 0, cache_read = 0, cache_creation = 0;
  int64_t total() const { return input + output + cache_read + cache_creation; }
};

// Why a chat may not start: the status and `error` event text for /chat.
struct BudgetRefusal {
  int status = 429;            // 429 over budget; 503 when the database cannot tell
  std::string message;         // for the page's error area
  int64_t retry_after_s = 0;   // seconds to the reset (Retry-After), 0 for a 503
  std::string log_error;       // the database's reason, for the log only
};

struct DailyUsage {
  int64_t used = 0;                // today's total over all workers
  int64_t seconds_to_reset = 0;    // until 00:00 UTC
};

class TokenBudget {
 public:
  // `daily_budget` 0: no budget (refusal() is free and never refuses; usage is still
  // recorded, for /metrics and the operator).
  TokenBudget(DbPool& pool, int64_t daily_budget) : pool_(pool), budget_(daily_budget) {}

  int64_t budget() const { return budget_; }

  // Before a chat: nullopt when it may start.
  std::optional<BudgetRefusal> refusal();

  // After a reply: adds what it used to today's row. "" or the database's reason.
  std::string record(const TokenCounts& used);

  // Today's total and the time to its reset; nullopt when the database cannot tell.
  std::optional<DailyUsage> today();

 private:
  std::optional<DailyUsage> read_today(std::string& error);

  DbPool& pool_;
  const int64_t budget_;
};

// "Error: The daily limit of … tokens for this chat is reached. It resets at 00:00 UTC, in
// 3 h 12 min." — what the page shows when the budget is spent.
std::string budget_exhausted_message(int64_t budget, int64_t seconds_to_reset);

// "3 h 12 min", "45 min", "under a minute".
std::string describe_wait(int64_t seconds);

}  // namespace resume_chat

#endif  // RESUME_CHAT_TOKEN_BUDGET_H_
