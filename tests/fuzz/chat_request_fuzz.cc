// Fuzz target: /chat bodies; an accepted request always satisfies the documented limits.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "resume_chat/chat_request.h"
#include "resume_chat/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = resume_chat::parse_chat_request("application/json", body, 100);
  if (parsed.request) {
    const std::string& m = parsed.request->message;
    if (!resume_chat::is_valid_utf8(m) || resume_chat::utf8_length(m) > 100) std::abort();
    if (m.find('\0') != std::string::npos) std::abort();
    if (body.find('\0') != std::string_view::npos) std::abort();  // nothing is ignored
  } else if (parsed.status != 400 && parsed.status != 413) {
    std::abort();
  }
  return 0;
}
