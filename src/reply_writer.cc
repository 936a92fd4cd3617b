// The writer thread and its one statement: the replies as a JSON array, inserted in order,
// their sessions' claims released and their usage added, all in one implicit transaction.
#include "resume_chat/reply_writer.h"

#include <algorithm>

#include "resume_chat/log.h"

namespace resume_chat {
namespace {

using Clock = std::chrono::steady_clock;

// `stored` returns only rows inserted now: a reply stored by an earlier attempt whose answer
// was lost conflicts on reply_uuid, inserts nothing, and so is not counted again. A claim is
// released only if it is still this reply's (an expired one may have been taken since).
const char* const kStoreRepliesSql =
    "WITH r AS ("
    "  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(seq int, reply uuid, session uuid,"
    "    contents text, outcome text, day date, reserved bigint, input bigint,"
    "    cache_creation bigint, cache_read bigint, output bigint)),"
    " stored AS ("
    "  INSERT INTO chats (timestamp, session_uuid, message_type, contents, outcome, reply_uuid)"
    "  SELECT clock_timestamp(), session, 'assistant', contents, outcome, reply FROM r ORDER BY seq"
    "  ON CONFLICT DO NOTHING RETURNING reply_uuid),"
    " released AS ("
    "  UPDATE sessions s SET streaming_reply = NULL, streaming_until = NULL FROM r"
    "  WHERE s.session_uuid = r.session AND s.streaming_reply = r.reply RETURNING 1),"
    " fresh AS (SELECT * FROM r WHERE reply IN (SELECT reply_uuid FROM stored)),"
    " counted AS ("
    "  INSERT INTO token_usage AS u (day, input_tokens, cache_creation_tokens, cache_read_tokens,"
    "                                output_tokens, replies)"
    "  SELECT COALESCE(day, (now() AT TIME ZONE 'UTC')::date), sum(input), sum(cache_creation),"
    "         sum(cache_read), sum(output), count(*) FROM fresh GROUP BY 1"
    "  ON CONFLICT (day) DO UPDATE SET input_tokens = u.input_tokens + EXCLUDED.input_tokens,"
    "    cache_creation_tokens = u.cache_creation_tokens + EXCLUDED.cache_creation_tokens,"
    "    cache_read_tokens = u.cache_read_tokens + EXCLUDED.cache_read_tokens,"
    "    output_tokens = u.output_tokens + EXCLUDED.output_tokens,"
    "    replies = u.replies + EXCLUDED.replies,"
    "    reserved_tokens = GREATEST(0, u.reserved_tokens - (SELECT COALESCE(sum(reserved), 0)"
    "      FROM fresh WHERE COALESCE(fresh.day, (now() AT TIME ZONE 'UTC')::date) = u.day)),"
    "    updated_at = CURRENT_TIMESTAMP RETURNING 1)"
    " SELECT (SELECT count(*) FROM stored), (SELECT count(*) FROM released),"
    "        (SELECT count(*) FROM counted)";

const char* const kRenewClaimsSql =
    "UPDATE sessions SET streaming_until = clock_timestamp() + make_interval(secs => $2::int)"
    " WHERE streaming_reply = ANY($1::uuid[])";

// PostgreSQL's text cannot hold NUL, and jsonb refuses \u0000: a NUL is dropped.
std::string without_nul(const std::string& text) {
  if (text.find('\0') == std::string::npos) return text;
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != '\0') out += c;
  }
  return out;
}

// Failures that say the database was away (class 08: connection; 57P0x: shutting down;
// 57014: a statement timeout; 40001/40P01: retry the transaction), not that the data is wrong.
bool retryable(PGconn* conn, const PGresult* result) {
  if (conn == nullptr || result == nullptr || PQstatus(conn) == CONNECTION_BAD) return true;
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (state == nullptr) return true;
  const std::string code(state);
  return code.rfind("08", 0) == 0 || code.rfind("57P0", 0) == 0 || code == "57014" ||
         code == "40001" || code == "40P01";
}

}  // namespace

std::string replies_json(const std::vector<const ReplyRecord*>& records) {
  std::string json = "[";
  int seq = 0;
  for (const ReplyRecord* r : records) {
    if (seq > 0) json += ',';
    json += "{\"seq\":" + std::to_string(++seq) + ",\"reply\":\"" + json_escape(r->reply_uuid) +
            "\",\"session\":\"" + json_escape(r->session_uuid) + "\",\"contents\":\"" +
            json_escape(without_nul(r->contents)) + "\",\"outcome\":\"" +
            outcome_name(r->outcome) + "\",\"day\":" +
            (r->reserved_day.empty() ? std::string("null") : "\"" + json_escape(r->reserved_day) + "\"") +
            ",\"reserved\":" + std::to_string(r->reserved) +
            ",\"input\":" + std::to_string(r->usage.input) +
            ",\"cache_creation\":" + std::to_string(r->usage.cache_creation) +
            ",\"cache_read\":" + std::to_string(r->usage.cache_read) +
            ",\"output\":" + std::to_string(r->usage.output) + "}";
  }
  return json + "]";
}

ReplyWriter::ReplyWriter(DbPool& pool, WriterLimits limits)
    : pool_(pool), limits_(limits), thread_([this] { run(); }) {}

ReplyWriter::~ReplyWriter() { stop(Clock::now()); }

void ReplyWriter::hold_claim(const std::string& reply_uuid) {
  std::lock_guard<std::mutex> lock(mu_);
  claims_.insert(reply_uuid);
}

void ReplyWriter::submit(ReplyRecord record, Stored stored) {
  const size_t bytes = record.contents.size() + 256;
  std::vector<Pending> refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({std::move(record), std::move(stored), Clock::now(), bytes});
    queued_bytes_ += bytes;
    refused = take_expired(Clock::now());
  }
  wake_.notify_one();
  finish(refused, Status::Error("the database has not answered and too many replies are waiting"));
}

void ReplyWriter::stop(Clock::time_point deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    deadline_ = deadline;
  }
  wake_.notify_one();
  thread_.join();
}

WriterStats ReplyWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  WriterStats s = stats_;
  s.held = queue_.size();
  return s;
}

std::vector<ReplyWriter::Pending> ReplyWriter::take_expired(Clock::time_point now) {
  std::vector<Pending> out;
  while (!queue_.empty() &&
         (now - queue_.front().since >= limits_.give_up || queue_.size() > limits_.max_held ||
          queued_bytes_ > limits_.max_held_bytes)) {
    queued_bytes_ -= queue_.front().bytes;
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return out;
}

std::vector<ReplyWriter::Pending> ReplyWriter::take_batch() {
  std::vector<Pending> batch;
  size_t bytes = 0;
  while (!queue_.empty() && batch.size() < limits_.max_batch &&
         (batch.empty() || bytes + queue_.front().bytes <= limits_.max_batch_bytes)) {
    bytes += queue_.front().bytes;
    queued_bytes_ -= queue_.front().bytes;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

void ReplyWriter::finish(std::vector<Pending>& batch, const Status& status) {
  if (!status.ok() && !batch.empty()) {
    LogLine("error").add("msg", "replies not stored").add("replies", static_cast<long>(batch.size()))
        .add("db_error", status.message()).emit();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    (status.ok() ? stats_.stored : stats_.refused) += static_cast<long>(batch.size());
    for (const Pending& p : batch) claims_.erase(p.record.reply_uuid);  // released, or to expire
  }
  for (Pending& p : batch) {
    try {
      p.stored(status);
    } catch (const std::exception& e) {
      log_event("error", std::string("reply writer: callback: ") + e.what());
    }
  }
  batch.clear();
}

void ReplyWriter::run() {
  auto backoff = limits_.first_backoff;
  std::unique_lock<std::mutex> lock(mu_);
  next_renewal_ = Clock::now() + kClaimRenewal;
  for (;;) {
    wake_.wait_until(lock, next_renewal_, [this] { return stopping_ || !queue_.empty(); });
    if (Clock::now() >= next_renewal_) renew_claims(lock);
    if (queue_.empty() && !stopping_) continue;
    if (queue_.empty()) return;  // stopping, and everything is stored
    std::vector<Pending> batch = take_batch();
    ++stats_.statements;
    lock.unlock();
    Attempt attempt = store(batch);
    if (attempt.status.ok() || !attempt.retryable) {
      if (attempt.status.ok() || batch.size() == 1) {
        finish(batch, attempt.status);
      } else {  // one reply's data is refused: store the others one by one
        for (Pending& one : batch) {
          std::vector<Pending> single;
          single.push_back(std::move(one));
          finish(single, store(single).status);
        }
      }
      backoff = limits_.first_backoff;
      lock.lock();
      continue;
    }
    lock.lock();
    // The database is away: the batch goes back in front, in order, and waits.
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
      queued_bytes_ += it->bytes;
      queue_.push_front(std::move(*it));
    }
    std::vector<Pending> refused = take_expired(Clock::now());
    const bool out_of_time = stopping_ && Clock::now() >= deadline_;
    if (out_of_time) {
      while (!queue_.empty()) {
        queued_bytes_ -= queue_.front().bytes;
        refused.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    lock.unlock();
    finish(refused, Status::Error(attempt.status.message()));
    lock.lock();
    if (out_of_time) return;
    const auto until = stopping_ ? std::min(deadline_, Clock::now() + backoff) : Clock::now() + backoff;
    wake_.wait_until(lock, until, [this] { return stopping_ && Clock::now() >= deadline_; });
    backoff = std::min(backoff * 2, limits_.max_backoff);
  }
}

// Under `lock`, released while the statement runs. A failure is only logged: the claims
// then expire, which frees sessions sooner than they should, never later.
void ReplyWriter::renew_claims(std::unique_lock<std::mutex>& lock) {
  next_renewal_ = Clock::now() + kClaimRenewal;
  if (claims_.empty()) return;
  std::string array = "{";
  for (const std::string& reply : claims_) array += (array.size() > 1 ? "," : "") + reply;
  array += "}";
  lock.unlock();
  DbLease lease = pool_.acquire();
  PgResultPtr result;
  if (lease) result = lease.exec(kRenewClaimsSql, {array, std::to_string(kClaimSeconds)});
  if (!result_ok(result.get())) {
    log_event("warning", "reply writer: cannot renew the sessions' claims: " +
                             (lease ? last_error(lease.get(), result.get()) : lease.error()));
  }
  lock.lock();
}

ReplyWriter::Attempt ReplyWriter::store(const std::vector<Pending>& batch) {
  std::vector<const ReplyRecord*> records;
  records.reserve(batch.size());
  for (const Pending& p : batch) records.push_back(&p.record);
  DbLease lease = pool_.acquire();
  if (!lease) return {Status::Error(lease.error()), true};
  PgResultPtr result = lease.exec(kStoreRepliesSql, {replies_json(records)});
  if (result_ok(result.get())) return {Status::Ok(), false};
  return {Status::Error(last_error(lease.get(), result.get())), retryable(lease.get(), result.get())};
}

}  // namespace resume_chat
