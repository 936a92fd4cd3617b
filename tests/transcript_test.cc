// Transcripts as Markdown: one session, a document's sessions, an unknown document.
#define BOOST_TEST_MODULE transcript
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/transcript.h"

using namespace resume_chat;

namespace {
SessionTranscript sample(const std::string& uuid, const std::string& document) {
  return {uuid, document,
          {{"user", "Is my *summary* good?", "2026-12-01 10:00:00 UTC"},
           {"assistant", "Mostly.\n\n- add numbers", "2026-12-01 10:00:05 UTC"}}};
}
}  // namespace

BOOST_AUTO_TEST_CASE(one_session) {
  BOOST_TEST(render_transcript(sample("u-1", "jane")) ==
             "# Transcript of session u-1\n\n"
             "- Document: jane\n- Started: 2026-12-01 10:00:00 UTC\n"
             "- Last message: 2026-12-01 10:00:05 UTC\n- Messages: 2\n\n"
             "## User · 2026-12-01 10:00:00 UTC\n\nIs my *summary* good?\n\n"
             "## Assistant · 2026-12-01 10:00:05 UTC\n\nMostly.\n\n- add numbers\n\n");
}

BOOST_AUTO_TEST_CASE(a_session_without_its_document) {
  std::string text = render_transcript(sample("u-1", ""));
  BOOST_TEST(text.find("- Document: unknown (stored before sessions were recorded)\n") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_documents_sessions_under_one_title) {
  std::string text = render_document_transcripts("jane", {sample("u-2", "jane"), sample("u-1", "jane")});
  BOOST_TEST(text.rfind("# Transcripts of jane\n\n2 sessions, newest first.\n\n## Session u-2\n", 0) == 0u);
  BOOST_TEST(text.find("### User · ") != std::string::npos);
  BOOST_TEST(text.find("## Session u-2") < text.find("## Session u-1"));
  BOOST_TEST(render_document_transcripts("x", {sample("u", "x")}).find("1 session, newest") !=
             std::string::npos);
}
