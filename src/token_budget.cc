// The daily token budget's SQL (token_usage, one row per UTC day) and its refusal text.
#include "resume_chat/token_budget.h"

#include <cstdlib>

#include "resume_chat/messages.h"

namespace resume_chat {
namespace {

// The day and the seconds to its end by the database's clock, which every worker shares.
const char* const kTodaySql =
    "SELECT COALESCE((SELECT input_tokens + cache_creation_tokens + cache_read_tokens + "
    "output_tokens FROM token_usage WHERE day = (now() AT TIME ZONE 'UTC')::date), 0), "
    "CEIL(EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC')::date + 1) - (now() AT TIME ZONE "
    "'UTC')))::bigint";

// Concurrent replies of several workers add to the same row: the upsert is atomic.
const char* const kRecordSql =
    "INSERT INTO token_usage AS u (day, input_tokens, cache_creation_tokens, cache_read_tokens, "
    "output_tokens, replies) VALUES ((now() AT TIME ZONE 'UTC')::date, $1, $2, $3, $4, 1) "
    "ON CONFLICT (day) DO UPDATE SET input_tokens = u.input_tokens + EXCLUDED.input_tokens, "
    "cache_creation_tokens = u.cache_creation_tokens + EXCLUDED.cache_creation_tokens, "
    "cache_read_tokens = u.cache_read_tokens + EXCLUDED.cache_read_tokens, "
    "output_tokens = u.output_tokens + EXCLUDED.output_tokens, replies = u.replies + 1, "
    "updated_at = CURRENT_TIMESTAMP";

std::string with_thousands(int64_t value) {
  std::string digits = std::to_string(value);
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) {
    digits.insert(static_cast<size_t>(at), ",");
  }
  return digits;
}

}  // namespace

std::string describe_wait(int64_t seconds) {
  if (seconds < 60) return "under a minute";
  int64_t minutes = (seconds + 59) / 60;
  if (minutes < 60) return std::to_string(minutes) + " min";
  std::string text = std::to_string(minutes / 60) + " h";
  return minutes % 60 == 0 ? text : text + " " + std::to_string(minutes % 60) + " min";
}

std::string budget_exhausted_message(int64_t budget, int64_t seconds_to_reset) {
  return "Error: The daily limit of " + with_thousands(budget) +
         " tokens for this chat is reached. It resets at 00:00 UTC, in " +
         describe_wait(seconds_to_reset) + ".";
}

std::optional<DailyUsage> TokenBudget::today() {
  std::string error;
  return read_today(error);
}

std::optional<BudgetRefusal> TokenBudget::refusal() {
  if (budget_ <= 0) return std::nullopt;
  std::string error;
  std::optional<DailyUsage> usage = read_today(error);
  if (!usage) return BudgetRefusal{503, kErrorDatabase, 0, "token budget: " + error};
  if (usage->used < budget_) return std::nullopt;
  return BudgetRefusal{429, budget_exhausted_message(budget_, usage->seconds_to_reset),
                       usage->seconds_to_reset, ""};
}

std::optional<DailyUsage> TokenBudget::read_today(std::string& error) {
  DbLease lease = pool_.acquire();
  if (!lease) {
    error = lease.error();
    return std::nullopt;
  }
  PgResultPtr result = lease.exec(kTodaySql, {});
  if (!result_ok(result.get()) || PQntuples(result.get()) != 1) {
    error = last_error(lease.get(), result.get());
    return std::nullopt;
  }
  return DailyUsage{std::strtoll(PQgetvalue(result.get(), 0, 0), nullptr, 10),
                    std::strtoll(PQgetvalue(result.get(), 0, 1), nullptr, 10)};
}

std::string TokenBudget::record(const TokenCounts& used) {
  if (used.total() <= 0) return "";
  DbLease lease = pool_.acquire();
  if (!lease) return lease.error();
  PgResultPtr result = lease.exec(
      kRecordSql,
      {std::to_string(used.input), std::to_string(used.cache_creation),
       std::to_string(used.cache_read), std::to_string(used.output)});
  return result_ok(result.get()) ? "" : last_error(lease.get(), result.get());
}

}  // namespace resume_chat
