// The group commit of ended replies: each stored with how it ended, its token usage, and the
// release of its session's claim (migrations/006_reply_outcomes.sql), by one thread, in one
// statement for every reply waiting.
//
// A thousand replies that end in the same second cost a few round trips, not a thousand:
// while one statement runs, the next replies queue up and go together in the next. Nothing
// blocks the caller (the upstream engine's event thread). Storing is idempotent: a reply's
// UUID is made when it starts, so a retry after a connection lost at COMMIT stores nothing
// twice and counts no usage twice.
//
// It also keeps the claims of the replies streaming now alive: a claim (sessions.
// streaming_until) lasts kClaimSeconds and is renewed every kClaimRenewal for every reply
// of this worker that is not stored yet, in one statement, so a worker that dies frees its
// sessions within kClaimSeconds while a long reply keeps its own.
//
// When the database does not answer, replies are held (bounded in count and bytes; past a
// bound the oldest is refused first) and stored in order when it answers again, retried with
// backoff; one held longer than `give_up` is refused. Each reply's `Stored` callback runs
// once, on the writer's thread, when its row is stored or refused.
#ifndef RESUME_CHAT_REPLY_WRITER_H_
#define RESUME_CHAT_REPLY_WRITER_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "resume_chat/db_pool.h"
#include "resume_chat/reply_outcome.h"
#include "resume_chat/status.h"
#include "resume_chat/token_budget.h"

namespace resume_chat {

constexpr int kClaimSeconds = 20;
constexpr std::chrono::seconds kClaimRenewal{5};

struct ReplyRecord {
  std::string reply_uuid, session_uuid;
  std::string contents;  // what the reader was given
  ReplyOutcome outcome = ReplyOutcome::kComplete;
  TokenCounts usage;          // added to its day's total in token_usage
  int64_t reserved = 0;       // the admission's reservation that the usage settles
  std::string reserved_day;   // the UTC day it was reserved on, "YYYY-MM-DD"; "" for today
};

struct WriterLimits {
  size_t max_batch = 500;                      // replies in one statement
  size_t max_batch_bytes = 8 << 20;
  size_t max_held = 5000;                      // waiting to be stored, while the database is away
  size_t max_held_bytes = 64 << 20;
  std::chrono::milliseconds give_up{120000};   // held this long: refused
  std::chrono::milliseconds first_backoff{200}, max_backoff{2000};
};

struct WriterStats {
  long statements = 0, stored = 0, refused = 0;
  size_t held = 0;
};

class ReplyWriter {
 public:
  using Stored = std::function<void(const Status&)>;

  ReplyWriter(DbPool& pool, WriterLimits limits = {});
  ~ReplyWriter();  // stop() with no time left for what is queued
  ReplyWriter(const ReplyWriter&) = delete;
  ReplyWriter& operator=(const ReplyWriter&) = delete;

  // Any thread; never waits on the database. A reply whose session was claimed for it
  // (start_chat) is held_claim()ed until its record is submitted and stored.
  void hold_claim(const std::string& reply_uuid);
  void submit(ReplyRecord record, Stored stored);
  // Stores what is queued until `deadline`, refuses the rest, and ends the thread.
  void stop(std::chrono::steady_clock::time_point deadline);
  WriterStats stats() const;

 private:
  struct Pending {
    ReplyRecord record;
    Stored stored;
    std::chrono::steady_clock::time_point since;
    size_t bytes = 0;
  };
  struct Attempt {
    Status status;
    bool retryable = false;  // the database was away, not the data wrong
  };

  void run();
  void renew_claims(std::unique_lock<std::mutex>& lock);
  std::vector<Pending> take_batch();
  Attempt store(const std::vector<Pending>& batch);
  void finish(std::vector<Pending>& batch, const Status& status);
  // Under mu_: the oldest past `give_up` or past the bounds, taken out to be refused.
  std::vector<Pending> take_expired(std::chrono::steady_clock::time_point now);

  DbPool& pool_;
  const WriterLimits limits_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;  // guarded by mu_, oldest first
  size_t queued_bytes_ = 0;    // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::set<std::string> claims_;  // guarded by mu_: reply UUIDs whose claims are renewed
  std::chrono::steady_clock::time_point next_renewal_;  // guarded by mu_
  std::chrono::steady_clock::time_point deadline_;  // guarded by mu_, once stopping_
  WriterStats stats_;          // guarded by mu_ (but `held`)
  std::thread thread_;
};

// The statement's JSON argument for `records` (tested on its own).
std::string replies_json(const std::vector<const ReplyRecord*>& records);

}  // namespace resume_chat

#endif  // RESUME_CHAT_REPLY_WRITER_H_
