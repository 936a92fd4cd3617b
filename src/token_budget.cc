// The daily token budget's SQL (token_usage, one row per UTC day) and its refusal text.
#include "resume_chat/token_budget.h"

#include <cstdlib>


namespace resume_chat {
namespace {

// The day and the seconds to its end by the database's clock, which every worker shares.
const char* const kTodaySql =
    "SELECT COALESCE((SELECT input_tokens + cache_creation_tokens + cache_read_tokens + "
    "output_tokens FROM token_usage WHERE day = (now() AT TIME ZONE 'UTC')::date), 0), "
    "CEIL(EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC')::date + 1) - (now() AT TIME ZONE "
    "'UTC')))::bigint";

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
  DbLease lease = pool_.acquire();
  if (!lease) return std::nullopt;
  PgResultPtr result = lease.exec(kTodaySql, {});
  if (!result_ok(result.get()) || PQntuples(result.get()) != 1) return std::nullopt;
  return DailyUsage{std::strtoll(PQgetvalue(result.get(), 0, 0), nullptr, 10),
                    std::strtoll(PQgetvalue(result.get(), 0, 1), nullptr, 10)};
}

}  // namespace resume_chat
