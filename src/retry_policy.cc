// The SDKs' retry rules and backoff (retry_policy.h).
#include "resume_chat/retry_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "resume_chat/text.h"

namespace resume_chat {
namespace {

// A number of seconds (or ms), or an HTTP date for retry-after; -1 if unusable.
double parse_delay_seconds(const std::string& text, bool allow_date) {
  if (text.empty()) return -1;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() && *end == '\0' && std::isfinite(value)) return value;
  if (!allow_date) return -1;
  std::tm when{};
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &when) == nullptr) return -1;
  return std::difftime(timegm(&when), std::time(nullptr));
}

bool retryable(const AttemptOutcome& outcome, const RetryHints& hints) {
  if (outcome.cancelled || outcome.http_status == 200) return false;
  if (outcome.http_status == 0) return true;
  const std::string header = lower(hints.should_retry);
  if (header == "true") return true;
  if (header == "false") return false;
  const long s = outcome.http_status;
  return s == 408 || s == 409 || s == 429 || s >= 500;
}

}  // namespace

RetryStep next_retry(const AttemptOutcome& outcome, int retries_done, int max_retries,
                     const RetryHints& hints, double jitter01) {
  if (retries_done >= max_retries || !retryable(outcome, hints)) return {};
  return {true, retry_delay_ms(retries_done, hints, jitter01)};
}

long retry_delay_ms(int retries_done, const RetryHints& hints, double jitter01) {
  double seconds = parse_delay_seconds(hints.retry_after_ms, false);
  if (seconds >= 0) seconds /= 1000.0;
  if (seconds < 0) seconds = parse_delay_seconds(hints.retry_after, true);
  if (seconds > 0 && seconds <= 60) return static_cast<long>(seconds * 1000.0);
  double backoff = std::min(0.5 * std::pow(2.0, retries_done), 8.0) * (1.0 - 0.25 * jitter01);
  return static_cast<long>(backoff * 1000.0);
}

}  // namespace resume_chat
