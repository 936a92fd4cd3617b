// Session tokens: round trip, tampering, wrong secret, expiry; UUID form.
#define BOOST_TEST_MODULE session_token
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <set>

#include "resume_chat/session_token.h"

using namespace resume_chat;
using Verdict = SessionSigner::Verdict;

namespace {
const int64_t kNow = 1'800'000'000;
Session sample() { return {new_uuid4(), "demo doc é", kNow}; }
}  // namespace

BOOST_AUTO_TEST_CASE(uuid4_has_canonical_form_and_is_unique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_uuid4();
    BOOST_TEST(id.size() == 36u);
    BOOST_TEST(id[14] == '4');
    BOOST_TEST(std::string("89ab").find(id[19]) != std::string::npos);
    seen.insert(id);
  }
  BOOST_TEST(seen.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(round_trip) {
  SessionSigner signer("secret");
  Session s = sample();
  auto verified = signer.verify(signer.sign(s), kNow + 10);
  BOOST_TEST((verified.verdict == Verdict::kValid));
  BOOST_TEST(verified.session.uuid == s.uuid);
  BOOST_TEST(verified.session.document_name == s.document_name);
}

BOOST_AUTO_TEST_CASE(tampering_is_detected) {
  SessionSigner signer("secret");
  std::string token = signer.sign(sample());
  std::string other_doc = signer.sign({sample().uuid, "other", kNow});
  // Swap the document part of one token into another.
  auto doc_of = [](const std::string& t) {
    size_t a = t.find('.', t.find('.', t.find('.') + 1) + 1);
    return std::make_pair(a, t.find('.', a + 1));
  };
  auto [a, b] = doc_of(token);
  auto [c, d] = doc_of(other_doc);
  std::string spliced = token.substr(0, a) + other_doc.substr(c, d - c) + token.substr(b);
  BOOST_TEST((signer.verify(spliced, kNow).verdict == Verdict::kBadSignature));
  for (size_t i = 0; i < token.size(); i += 7) {
    std::string flipped = token;
    flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
    BOOST_TEST((signer.verify(flipped, kNow).verdict != Verdict::kValid));
  }
}

BOOST_AUTO_TEST_CASE(wrong_secret_and_garbage) {
  SessionSigner signer("secret"), other("other secret");
  BOOST_TEST((other.verify(signer.sign(sample()), kNow).verdict == Verdict::kBadSignature));
  for (const char* junk : {"", "v1", "v1.....", "v2.x.y.z.w", "not a token at all"}) {
    BOOST_TEST((signer.verify(junk, kNow).verdict == Verdict::kMalformed));
  }
}

BOOST_AUTO_TEST_CASE(expired_and_future_tokens) {
  SessionSigner signer("secret", 3600);
  std::string token = signer.sign(sample());
  BOOST_TEST((signer.verify(token, kNow + 3601).verdict == Verdict::kExpired));
  BOOST_TEST((signer.verify(token, kNow - 3600).verdict == Verdict::kExpired));
}

BOOST_AUTO_TEST_CASE(base64url_round_trip) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\xff\x00\x10"}) {
    auto decoded = base64url_decode(base64url_encode(s));
    BOOST_REQUIRE(decoded);
    BOOST_TEST(*decoded == s);
  }
  BOOST_TEST(!base64url_decode("a"));
  BOOST_TEST(!base64url_decode("ab="));
}

// A page opened by an invitation link: its session ends when the link does.
BOOST_AUTO_TEST_CASE(a_session_with_an_expiry_ends_then) {
  SessionSigner signer("secret");
  Session s = sample();
  s.expires_at = kNow + 600;
  const std::string token = signer.sign(s);
  BOOST_TEST(token.rfind("v2.", 0) == 0u);
  auto verified = signer.verify(token, kNow + 599);
  BOOST_TEST((verified.verdict == Verdict::kValid));
  BOOST_TEST(verified.session.expires_at == kNow + 600);
  BOOST_TEST(verified.session.document_name == s.document_name);
  BOOST_TEST((signer.verify(token, kNow + 600).verdict == Verdict::kExpired));
  // The expiry is signed: moved later, the token is refused.
  std::string later = token;
  later.replace(later.find(std::to_string(kNow + 600)), 10, std::to_string(kNow + 900));
  BOOST_TEST((signer.verify(later, kNow + 700).verdict == Verdict::kBadSignature));
  // Nor can a v2 token pass as v1 (or back) by editing its version.
  BOOST_TEST((signer.verify("v1" + token.substr(2), kNow).verdict != Verdict::kValid));
  // A token without an expiry is what it was.
  s.expires_at = 0;
  BOOST_TEST(signer.sign(s).rfind("v1.", 0) == 0u);
  BOOST_TEST(signer.verify(signer.sign(s), kNow + 10).session.expires_at == 0);
}
