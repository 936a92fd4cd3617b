// How each way a reply can end maps to its stored outcome, and back.
#define BOOST_TEST_MODULE reply_outcome
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/reply_outcome.h"

using namespace resume_chat;

namespace {

Reply ended(ReplyStatus status, CancelReason why = CancelReason::kNone,
            const std::string& stop_reason = "end_turn") {
  Reply reply;
  reply.status = status;
  reply.cancel_reason = why;
  reply.stop_reason = stop_reason;
  return reply;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_end_has_one_outcome) {
  struct Case {
    Reply reply;
    bool fully_written;
    ReplyOutcome expected;
  };
  const Case cases[] = {
      {ended(ReplyStatus::kComplete), true, ReplyOutcome::kComplete},
      {ended(ReplyStatus::kComplete, CancelReason::kNone, "max_tokens"), true, ReplyOutcome::kMaxTokens},
      {ended(ReplyStatus::kComplete, CancelReason::kNone, "stop_sequence"), true, ReplyOutcome::kComplete},
      // The API finished, the reader did not get the end: how the reader was lost decides.
      {ended(ReplyStatus::kComplete, CancelReason::kClientGone), false, ReplyOutcome::kStopped},
      {ended(ReplyStatus::kComplete, CancelReason::kClientTooSlow), false, ReplyOutcome::kFailed},
      {ended(ReplyStatus::kComplete, CancelReason::kShutdown), false, ReplyOutcome::kShutdown},
      {ended(ReplyStatus::kCancelled, CancelReason::kClientGone), false, ReplyOutcome::kStopped},
      {ended(ReplyStatus::kCancelled, CancelReason::kClientTooSlow), false, ReplyOutcome::kFailed},
      {ended(ReplyStatus::kCancelled, CancelReason::kShutdown), true, ReplyOutcome::kShutdown},
      {ended(ReplyStatus::kCancelled, CancelReason::kInternalError), true, ReplyOutcome::kFailed},
      {ended(ReplyStatus::kIncomplete), true, ReplyOutcome::kFailed},
      {ended(ReplyStatus::kApiError), true, ReplyOutcome::kFailed},
      {ended(ReplyStatus::kTimedOut), true, ReplyOutcome::kFailed},
      {ended(ReplyStatus::kUnreachable), true, ReplyOutcome::kFailed},
  };
  for (const Case& c : cases) {
    const ReplyOutcome got = outcome_of(c.reply, c.fully_written);
    BOOST_TEST(outcome_name(got) == outcome_name(c.expected),
               reply_status_name(c.reply.status) << " written=" << c.fully_written);
  }
}

BOOST_AUTO_TEST_CASE(names_round_trip_and_null_reads_as_complete) {
  for (ReplyOutcome o : {ReplyOutcome::kComplete, ReplyOutcome::kMaxTokens, ReplyOutcome::kStopped,
                         ReplyOutcome::kFailed, ReplyOutcome::kShutdown}) {
    BOOST_TEST((parse_outcome(outcome_name(o)) == o));
  }
  BOOST_TEST((parse_outcome("") == ReplyOutcome::kComplete));
  BOOST_TEST(!parse_outcome("cancelled"));
}

BOOST_AUTO_TEST_CASE(only_unfinished_replies_carry_a_note_for_claude) {
  BOOST_TEST(history_note(ReplyOutcome::kComplete).empty());
  for (ReplyOutcome o : {ReplyOutcome::kMaxTokens, ReplyOutcome::kStopped, ReplyOutcome::kFailed,
                         ReplyOutcome::kShutdown}) {
    const std::string_view note = history_note(o);
    BOOST_TEST((note.front() == '[' && note.back() == ']'), note);
  }
}
