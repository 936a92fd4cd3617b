// Fuzz target: token verification never accepts a token it did not sign.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "resume_chat/session_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const resume_chat::SessionSigner signer("fuzz-secret");
  std::string_view token(reinterpret_cast<const char*>(data), size);
  auto verified = signer.verify(token, 1'800'000'000);
  if (verified.verdict == resume_chat::SessionSigner::Verdict::kValid &&
      signer.sign(verified.session) != token) {
    std::abort();
  }
  (void)resume_chat::base64url_decode(token);
  return 0;
}
