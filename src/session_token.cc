// Session UUIDs and signed session tokens (HMAC-SHA256, constant-time compare: hmac.h).
#include "resume_chat/session_token.h"

#include <openssl/rand.h>

#include <vector>

#include "resume_chat/hmac.h"
#include "resume_chat/text.h"

namespace resume_chat {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string random_bytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    std::abort();  // no randomness: refusing to issue guessable sessions
  }
  return bytes;
}


bool is_canonical_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = s[i];
    if (dash != (c == '-')) return false;
    if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == sep) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}


}  // namespace

std::string new_uuid4() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string h = to_hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string random_secret() { return to_hex(random_bytes(32)); }

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  unsigned int buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 63];
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out;
  unsigned int buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* at = std::char_traits<char>::find(kAlphabet, 64, c);
    if (at == nullptr) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned int>(at - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (bits >= 6 || (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-canonical
  return out;
}

SessionSigner::SessionSigner(std::string secret, int64_t max_age_s)
    : secret_(std::move(secret)), max_age_s_(max_age_s) {}

std::string SessionSigner::mac(std::string_view payload) const {
  return hmac_sha256(secret_, payload);
}

std::string SessionSigner::sign(const Session& session) const {
  std::string payload = (session.expires_at > 0 ? "v2." : "v1.") + session.uuid + "." +
                        std::to_string(session.issued_at) + ".";
  if (session.expires_at > 0) payload += std::to_string(session.expires_at) + ".";
  payload += base64url_encode(session.document_name);
  return payload + "." + base64url_encode(mac(payload));
}

SessionSigner::Verified SessionSigner::verify(std::string_view token, int64_t now) const {
  Verified result;
  if (token.size() > 2048) return result;
  auto parts = split(token, '.');
  const bool with_expiry = parts.size() == 6 && parts[0] == "v2";
  if (!with_expiry && (parts.size() != 5 || parts[0] != "v1")) return result;
  if (!is_canonical_uuid(parts[1])) return result;
  auto issued = parse_decimal(parts[2], 12);
  std::optional<int64_t> expires = with_expiry ? parse_decimal(parts[3], 12) : int64_t{0};
  auto name = base64url_decode(parts[with_expiry ? 4 : 3]);
  auto given_mac = base64url_decode(parts.back());
  if (!issued || !expires || (with_expiry && *expires == 0) || !name || !given_mac) return result;
  std::string_view payload = token.substr(0, token.size() - parts.back().size() - 1);
  std::string expected = mac(payload);
  if (!same_mac(*given_mac, expected)) {
    result.verdict = Verdict::kBadSignature;
    return result;
  }
  if (*issued > now + 300 || now - *issued > max_age_s_ || (*expires > 0 && now >= *expires)) {
    result.verdict = Verdict::kExpired;
    return result;
  }
  result.verdict = Verdict::kValid;
  result.session = {std::string(parts[1]), std::move(*name), *issued, *expires};
  return result;
}

}  // namespace resume_chat
