// Invitation links: a link verifies for its own name until it expires; a bare name, a
// changed signature or expiry, a signature moved to another name or made with another
// secret do not. Durations; the page gate's statuses and texts.
#define BOOST_TEST_MODULE invite_link
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/invite_link.h"
#include "resume_chat/url.h"

using namespace resume_chat;
using Verdict = LinkSigner::Verdict;

namespace {

const int64_t kNow = 1'800'000'000;
const LinkSigner signer("0123456789abcdef-link-secret");

Verdict verdict(const std::string& query, const std::string& name, int64_t now = kNow) {
  return signer.verify(query, name, now).verdict;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  return text.replace(text.find(from), from.size(), to);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_link_opens_its_own_name_until_it_expires) {
  std::string query = signer.query("jane doe/é&x", kNow + 60);
  BOOST_TEST(query.rfind("q=jane%20doe%2F%C3%A9%26x&exp=1800000060&sig=", 0) == 0u);
  BOOST_TEST(*query_param(query, "q") == "jane doe/é&x");
  BOOST_TEST((verdict(query, "jane doe/é&x") == Verdict::kValid));
  BOOST_TEST((verdict(query, "jane doe/é&x", kNow + 59) == Verdict::kValid));
  BOOST_TEST((verdict(query, "jane doe/é&x", kNow + 60) == Verdict::kExpired));
  BOOST_TEST(signer.verify(query, "jane doe/é&x", kNow + 61).expires == kNow + 60);
}

BOOST_AUTO_TEST_CASE(a_bare_name_is_missing_its_signature) {
  BOOST_TEST((verdict("q=jane", "jane") == Verdict::kMissing));
}

BOOST_AUTO_TEST_CASE(changes_are_invalid) {
  std::string query = signer.query("jane", kNow + 60);
  std::string sig = *query_param(query, "sig");
  BOOST_TEST((verdict(query, "john") == Verdict::kInvalid));  // moved to another name
  BOOST_TEST((verdict(replace(query, "exp=1800000060", "exp=1900000060"), "jane") == Verdict::kInvalid));
  std::string flipped = sig;
  flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
  BOOST_TEST((verdict(replace(query, sig, flipped), "jane") == Verdict::kInvalid));
  BOOST_TEST((verdict(replace(query, sig, sig.substr(1)), "jane") == Verdict::kInvalid));
  BOOST_TEST((verdict("q=jane&exp=1800000060", "jane") == Verdict::kInvalid));
  BOOST_TEST((verdict("q=jane&sig=" + sig, "jane") == Verdict::kInvalid));
  BOOST_TEST((verdict("q=jane&exp=-5&sig=" + sig, "jane") == Verdict::kInvalid));
  BOOST_TEST((verdict("q=jane&exp=1800000060&sig=***", "jane") == Verdict::kInvalid));
  LinkSigner other("another-secret-of-16+");
  BOOST_TEST((other.verify(query, "jane", kNow).verdict == Verdict::kInvalid));
}

BOOST_AUTO_TEST_CASE(durations) {
  BOOST_TEST(*parse_duration("2s") == 2);
  BOOST_TEST(*parse_duration("90m") == 5400);
  BOOST_TEST(*parse_duration("12h") == 43200);
  BOOST_TEST(*parse_duration("7d") == 604800);
  BOOST_TEST(*parse_duration("2w") == 1209600);
  BOOST_TEST(*parse_duration("366d") == kMaxLinkDurationS);
  for (const char* bad : {"", "d", "0d", "367d", "53w", "7", "7D", "-1d", "1.5h", " 7d", "7d ",
                          "99999999999s"}) {
    BOOST_TEST(!parse_duration(bad), bad);
  }
  BOOST_TEST(kDefaultLinkDurationS == 30 * 86400);
}

BOOST_AUTO_TEST_CASE(utc_format) { BOOST_TEST(format_utc(1'800'000'000) == "2027-01-15 08:00 UTC"); }

BOOST_AUTO_TEST_CASE(the_gate_is_open_without_a_secret) {
  BOOST_TEST(LinkGate("").check("q=jane", "jane", kNow).admitted);
}

BOOST_AUTO_TEST_CASE(the_gate_refuses_with_statuses_and_texts) {
  LinkGate gate("0123456789abcdef-link-secret");
  const LinkVerdict good = gate.check(signer.query("jane", kNow + 5), "jane", kNow);
  BOOST_TEST(good.admitted);
  BOOST_TEST(good.expires == kNow + 5);  // the page's session ends with the link
  BOOST_TEST(LinkGate("").check("q=jane", "jane", kNow).expires == 0);
  const LinkVerdict bare = gate.check("q=jane", "jane", kNow);
  BOOST_REQUIRE(!bare.admitted);
  BOOST_TEST(bare.status == 403);
  BOOST_TEST(bare.message == "Error: This page opens only from its invitation link. Use the "
                             "full link you were sent.");
  const LinkVerdict moved = gate.check(signer.query("john", kNow + 5), "jane", kNow);
  BOOST_REQUIRE(!moved.admitted);
  BOOST_TEST(moved.status == 403);
  BOOST_TEST(std::string(moved.reason) == "invalid");
  const LinkVerdict expired = gate.check(signer.query("jane", kNow), "jane", kNow);
  BOOST_REQUIRE(!expired.admitted);
  BOOST_TEST(expired.status == 410);
  BOOST_TEST(expired.message == "Error: This invitation link expired on 2027-01-15 08:00 UTC. "
                                 "Ask the person who sent it for a new one.");
}
