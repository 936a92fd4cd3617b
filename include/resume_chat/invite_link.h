// Invitation links (LINK_SECRET): with a secret set, a page opens only through a link
// signed for its document name and an expiry, as `resume-chat link NAME` prints it:
//
//   PUBLIC_URL/?q=NAME&exp=UNIX_SECONDS&sig=BASE64URL(HMAC-SHA256(LINK_SECRET, "resume-chat
//   link v1" LF NAME LF UNIX_SECONDS))
//
// so a guessed `?q=NAME` opens nothing, and a signature cannot be moved to another name
// or a later expiry. Signatures are compared in constant time. The session token of a
// page opened this way carries the link's expiry (session_token.h): its chat ends with the
// link, however long the page stays open.
#ifndef RESUME_CHAT_INVITE_LINK_H_
#define RESUME_CHAT_INVITE_LINK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace resume_chat {

class LinkSigner {
 public:
  explicit LinkSigner(std::string secret) : secret_(std::move(secret)) {}

  // The query string of the link: "q=NAME&exp=EXPIRES&sig=SIG", NAME percent-encoded.
  std::string query(std::string_view name, int64_t expires_unix_s) const;

  enum class Verdict { kValid, kMissing, kInvalid, kExpired };
  struct Verified {
    Verdict verdict = Verdict::kInvalid;
    int64_t expires = 0;  // when kValid or kExpired
  };
  // `raw_query` is the request's query string; `name` its decoded q.
  Verified verify(std::string_view raw_query, std::string_view name, int64_t now_unix_s) const;

 private:
  std::string mac(std::string_view name, int64_t expires) const;
  std::string secret_;
};

// "2s", "30m", "12h", "7d", "2w" in seconds; nullopt unless a whole number from 1 second
// to kMaxLinkDuration with one of those units.
std::optional<int64_t> parse_duration(std::string_view text);
constexpr int64_t kMaxLinkDurationS = 366 * 24 * 3600;
constexpr int64_t kDefaultLinkDurationS = 30 * 24 * 3600;

// "2026-12-31 23:59 UTC".
std::string format_utc(int64_t unix_s);

// The page route's verdict on a link: admitted (always, when LINK_SECRET is unset), or
// refused with the status and the text of the page's error area.
struct LinkVerdict {
  bool admitted = true;
  int64_t expires = 0;       // an admitted link's expiry (0 without LINK_SECRET): the page's
                             // session must end then too
  int status = 200;          // refused: 403, or 410 for an expired link
  std::string message;
  const char* reason = "";   // refused: "missing", "invalid", "expired", for the log
};

class LinkGate {
 public:
  explicit LinkGate(const std::string& secret);
  LinkVerdict check(std::string_view raw_query, std::string_view name, int64_t now_unix_s) const;

 private:
  std::optional<LinkSigner> signer_;
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_INVITE_LINK_H_
