// Fuzz target: Messages-API event handling on arbitrary SSE bytes: no crash, no empty
// piece of text, nothing offered once the sink has refused, and an error stream is never
// complete.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "resume_chat/claude_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string seen;
  bool refused = false;
  resume_chat::ClaudeStream stream([&](std::string_view text) {
    if (refused || text.empty()) std::abort();
    seen.append(text);
    refused = seen.size() >= 100000;
    return !refused;
  });
  resume_chat::SseDecoder decoder;
  decoder.feed(std::string_view(reinterpret_cast<const char*>(data), size),
               [&](const resume_chat::SseEvent& e) { return stream.on_event(e); });
  if (stream.error() && stream.complete()) std::abort();
  if (refused && stream.complete()) std::abort();
  return 0;
}
