// HMAC-SHA256 (OpenSSL) and the constant-time comparison a MAC is checked with: the one
// signing primitive behind session tokens (session_token.h) and invitation links
// (invite_link.h).
#ifndef RESUME_CHAT_HMAC_H_
#define RESUME_CHAT_HMAC_H_

#include <string>
#include <string_view>

namespace resume_chat {

// The 32-byte raw digest of `message` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view message);

// Equal length and bytes, compared in time that does not depend on where they differ
// (CRYPTO_memcmp), so a forger learns nothing from how fast a guess is refused.
bool same_mac(std::string_view given, std::string_view expected);

}  // namespace resume_chat

#endif  // RESUME_CHAT_HMAC_H_
