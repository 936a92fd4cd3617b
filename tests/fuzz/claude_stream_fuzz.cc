// Fuzz target: Messages-API event handling on arbitrary SSE bytes: no crash, the text
// handed to the sink is exactly text(), and an error stream is never complete.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "resume_chat/claude_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string seen;
  resume_chat::ClaudeStream stream([&](std::string_view text) {
    seen.append(text);
    return seen.size() < 100000;
  });
  resume_chat::SseDecoder decoder;
  decoder.feed(std::string_view(reinterpret_cast<const char*>(data), size),
               [&](const resume_chat::SseEvent& e) { return stream.on_event(e); });
  if (!stream.sink_refused() && seen != stream.text()) std::abort();
  if (stream.error() && stream.complete()) std::abort();
  return 0;
}
