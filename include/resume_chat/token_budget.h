// The daily token budget (DAILY_TOKEN_BUDGET) that protects the API key on a public page.
//
// One row per UTC day in PostgreSQL (token_usage, migrations/004 and 006) holds the tokens
// the day's replies used, input (cache reads and writes included) and output, over every
// worker, and the tokens reserved by the replies streaming now. A chat is admitted only while
// used + reserved is under the budget, and its admission reserves the reply's worst case
// (input estimate + max_tokens) in the same statement (chat_store.h, start_chat), so a burst
// of chats cannot all pass one check: the day overshoots by at most one reply's worth. When a
// reply is stored (reply_writer.h) its real usage is added and its reservation given back; a
// reply that ended before its final usage counts at least the text that streamed. The
// database's clock decides the day, so workers on several hosts agree.
//
// This class is /metrics' view of the day, and the refusal's words.
#ifndef RESUME_CHAT_TOKEN_BUDGET_H_
#define RESUME_CHAT_TOKEN_BUDGET_H_

#include <cstdint>
#include <optional>
#include <string>

#include "resume_chat/db_pool.h"

namespace resume_chat {

struct TokenCounts {
  int64_t input = 0, output = 0, cache_read = 0, cache_creation = 0;
};

struct DailyUsage {
  int64_t used = 0;                // today's total over all workers
  int64_t seconds_to_reset = 0;    // until 00:00 UTC
};

class TokenBudget {
 public:
  // `daily_budget` 0: no budget (nothing is reserved; usage is still recorded, for
  // /metrics and the operator).
  TokenBudget(DbPool& pool, int64_t daily_budget) : pool_(pool), budget_(daily_budget) {}

  int64_t budget() const { return budget_; }

  // Today's total and the time to its reset; nullopt when the database cannot tell.
  std::optional<DailyUsage> today();

 private:

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
