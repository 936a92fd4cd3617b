// Fuzz target: an invitation link's query string. Nothing but a link this secret signed for
// that name and expiry ever verifies; durations parse only within their bounds.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "resume_chat/invite_link.h"
#include "resume_chat/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const resume_chat::LinkSigner signer("fuzz-link-secret-0123456789");
  std::string_view query(reinterpret_cast<const char*>(data), size);
  std::string name = resume_chat::query_param(query, "q").value_or("");
  auto verified = signer.verify(query, name, 1'800'000'000);
  using Verdict = resume_chat::LinkSigner::Verdict;
  if (verified.verdict == Verdict::kValid || verified.verdict == Verdict::kExpired) {
    std::string signed_query = signer.query(name, verified.expires);
    if (resume_chat::query_param(signed_query, "sig") != resume_chat::query_param(query, "sig")) {
      std::abort();
    }
  }
  auto duration = resume_chat::parse_duration(query);
  if (duration && (*duration < 1 || *duration > resume_chat::kMaxLinkDurationS)) std::abort();
  return 0;
}
