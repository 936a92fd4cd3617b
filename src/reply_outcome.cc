// The mapping from a reply's end (status, cancel reason, stop reason) to its stored outcome.
#include "resume_chat/reply_outcome.h"

namespace resume_chat {
namespace {

ReplyOutcome cancelled_outcome(CancelReason why) {
  switch (why) {
    case CancelReason::kClientGone: return ReplyOutcome::kStopped;
    case CancelReason::kShutdown: return ReplyOutcome::kShutdown;
    case CancelReason::kClientTooSlow:
    case CancelReason::kInternalError:
    case CancelReason::kNone: break;
  }
  return ReplyOutcome::kFailed;
}

}  // namespace

ReplyOutcome outcome_of(const Reply& reply, bool fully_written) {
  if (reply.status == ReplyStatus::kCancelled) return cancelled_outcome(reply.cancel_reason);
  if (reply.status != ReplyStatus::kComplete) return ReplyOutcome::kFailed;
  // Complete upstream, but the reader was cut off while its end was being written.
  if (!fully_written) return cancelled_outcome(reply.cancel_reason);
  return reply.stop_reason == "max_tokens" ? ReplyOutcome::kMaxTokens : ReplyOutcome::kComplete;
}

const char* outcome_name(ReplyOutcome outcome) {
  switch (outcome) {
    case ReplyOutcome::kComplete: return "complete";
    case ReplyOutcome::kMaxTokens: return "max_tokens";
    case ReplyOutcome::kStopped: return "stopped";
    case ReplyOutcome::kFailed: return "failed";
    case ReplyOutcome::kShutdown: return "shutdown";
  }
  return "failed";
}

std::optional<ReplyOutcome> parse_outcome(std::string_view name) {
  for (ReplyOutcome o : {ReplyOutcome::kComplete, ReplyOutcome::kMaxTokens, ReplyOutcome::kStopped,
                         ReplyOutcome::kFailed, ReplyOutcome::kShutdown}) {
    if (name == outcome_name(o)) return o;
  }
  if (name.empty()) return ReplyOutcome::kComplete;
  return std::nullopt;
}

std::string_view history_note(ReplyOutcome outcome) {
  switch (outcome) {
    case ReplyOutcome::kComplete: return "";
    case ReplyOutcome::kMaxTokens: return "[This reply was cut off at the length limit.]";
    case ReplyOutcome::kStopped: return "[This reply was stopped by the user before it finished.]";
    case ReplyOutcome::kFailed: return "[This reply was interrupted by an error before it finished.]";
    case ReplyOutcome::kShutdown:
      return "[This reply was interrupted by a server restart before it finished.]";
  }
  return "";
}

}  // namespace resume_chat
