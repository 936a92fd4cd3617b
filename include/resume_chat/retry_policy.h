// When a request to the Messages API is tried again, and after how long: the official SDKs'
// rules (anthropic-sdk-python `_base_client.py`, anthropic-sdk-typescript `client.ts`) as pure
// functions, tested as a table. docs/architecture.md "Failure behaviour" has what a reader sees.
//
// Retried: no response at all (connect, DNS, TLS, silence before the headers), and the
// statuses 408, 409, 429 and >= 500 — with `x-should-retry` deciding first when the API
// sends it. Never retried: a response that started (HTTP 200: its text may already be on
// the reader's screen), a cancelled request, or one past `max_retries`.
#ifndef RESUME_CHAT_RETRY_POLICY_H_
#define RESUME_CHAT_RETRY_POLICY_H_

#include <string>

namespace resume_chat {

struct RetryHints {
  std::string should_retry;    // x-should-retry header value, "" if absent
  std::string retry_after_ms;  // retry-after-ms
  std::string retry_after;     // retry-after (seconds, or an HTTP date)
};

struct AttemptOutcome {
  long http_status = 0;  // 0: no response arrived
  bool cancelled = false;
};

struct RetryStep {
  bool retry = false;
  long delay_ms = 0;
};

// `retries_done` counts the retries already made; `jitter01` is a uniform random in [0, 1].
RetryStep next_retry(const AttemptOutcome& outcome, int retries_done, int max_retries,
                     const RetryHints& hints, double jitter01);

// The wait before retry number `retries_done` + 1: retry-after-ms, else retry-after (when
// within (0, 60] s), else 0.5 s doubling per retry, capped at 8 s, minus up to 25 % jitter.
long retry_delay_ms(int retries_done, const RetryHints& hints, double jitter01);

}  // namespace resume_chat

#endif  // RESUME_CHAT_RETRY_POLICY_H_
