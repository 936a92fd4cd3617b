// Signing and checking invitation links (HMAC-SHA256, constant-time compare: hmac.h).
#include "resume_chat/invite_link.h"

#include <ctime>

#include "resume_chat/hmac.h"
#include "resume_chat/session_token.h"
#include "resume_chat/text.h"
#include "resume_chat/url.h"

namespace resume_chat {

// A domain-separated message, so a link's MAC can never pass for a session token's even
// if an operator gave both the same secret.
std::string LinkSigner::mac(std::string_view name, int64_t expires) const {
  std::string message = "resume-chat link v1\n";
  message.append(name);
  message += '\n';
  message += std::to_string(expires);
  return hmac_sha256(secret_, message);
}

std::string LinkSigner::query(std::string_view name, int64_t expires) const {
  return "q=" + percent_encode(name) + "&exp=" + std::to_string(expires) +
         "&sig=" + base64url_encode(mac(name, expires));
}

LinkSigner::Verified LinkSigner::verify(std::string_view raw_query, std::string_view name,
                                        int64_t now) const {
  auto exp = query_param(raw_query, "exp");
  auto sig = query_param(raw_query, "sig");
  if (!exp && !sig) return {Verdict::kMissing, 0};
  auto expires = parse_decimal(exp.value_or(""), 12);
  auto given = base64url_decode(sig.value_or(""));
  if (!expires || !given) return {Verdict::kInvalid, 0};
  std::string expected = mac(name, *expires);
  if (!same_mac(*given, expected)) {
    return {Verdict::kInvalid, 0};
  }
  return {now >= *expires ? Verdict::kExpired : Verdict::kValid, *expires};
}

std::optional<int64_t> parse_duration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 24 * 3600; break;
    case 'w': unit = 7 * 24 * 3600; break;
    default: return std::nullopt;
  }
  auto count = parse_decimal(text.substr(0, text.size() - 1), 9);
  if (!count || *count == 0 || *count > kMaxLinkDurationS / unit) return std::nullopt;
  return *count * unit;
}

std::string format_utc(int64_t unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M UTC", &tm);
  return buffer;
}

LinkGate::LinkGate(const std::string& secret) {
  if (!secret.empty()) signer_.emplace(secret);
}

namespace {

LinkVerdict refused(int status, std::string message, const char* reason) {
  return LinkVerdict{false, 0, status, std::move(message), reason};
}

}  // namespace

LinkVerdict LinkGate::check(std::string_view raw_query, std::string_view name, int64_t now) const {
  if (!signer_) return LinkVerdict{};
  LinkSigner::Verified verified = signer_->verify(raw_query, name, now);
  switch (verified.verdict) {
    case LinkSigner::Verdict::kValid: {
      LinkVerdict admitted;
      admitted.expires = verified.expires;
      return admitted;
    }
    case LinkSigner::Verdict::kMissing:
      return refused(403, "Error: This page opens only from its invitation link. Use the full "
                          "link you were sent.", "missing");
    case LinkSigner::Verdict::kExpired:
      return refused(410, "Error: This invitation link expired on " + format_utc(verified.expires) +
                              ". Ask the person who sent it for a new one.", "expired");
    case LinkSigner::Verdict::kInvalid:
      break;
  }
  return refused(403, "Error: This invitation link is not valid (changed or incomplete). Use the "
                      "full link you were sent, or ask for a new one.", "invalid");
}

}  // namespace resume_chat
