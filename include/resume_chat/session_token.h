// Chat sessions: a fresh UUID4 per page load, carried by the page in a signed token that
// binds it to the document name (HMAC-SHA256), so the server never trusts the client for
// which document a session belongs to. A page opened by an invitation link carries the
// link's expiry too: the session ends when the link does, not a day after the last load.
//
// Token: "v1.<uuid>.<issued unix seconds>.<base64url(document name)>.<base64url(mac)>", or
// with an expiry "v2.<uuid>.<issued>.<expires unix seconds>.<base64url(name)>.<mac>".
#ifndef RESUME_CHAT_SESSION_TOKEN_H_
#define RESUME_CHAT_SESSION_TOKEN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace resume_chat {

struct Session {
  std::string uuid;
  std::string document_name;
  int64_t issued_at = 0;
  int64_t expires_at = 0;  // the invitation link's expiry; 0: none (the signer's max age only)
};

// A random (version 4) UUID in canonical lower-case form.
std::string new_uuid4();

// 32 random bytes, hex-encoded: the per-process secret when SESSION_SECRET is unset.
std::string random_secret();

class SessionSigner {
 public:
  static constexpr int64_t kDefaultMaxAgeSeconds = 24 * 60 * 60;

  explicit SessionSigner(std::string secret, int64_t max_age_s = kDefaultMaxAgeSeconds);

  std::string sign(const Session& session) const;

  // kExpired: older than the max age, issued in the future, or past its expires_at.
  enum class Verdict { kValid, kMalformed, kBadSignature, kExpired };
  struct Verified {
    Verdict verdict = Verdict::kMalformed;
    Session session;  // meaningful only when kValid
  };
  Verified verify(std::string_view token, int64_t now_unix_s) const;

 private:
  std::string mac(std::string_view payload) const;
  std::string secret_;
  int64_t max_age_s_;
};

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace resume_chat

#endif  // RESUME_CHAT_SESSION_TOKEN_H_
