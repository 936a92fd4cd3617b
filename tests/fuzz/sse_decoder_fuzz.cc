// Fuzz target: the SSE decoder on arbitrary bytes, split at a data-chosen point, gives the
// same events as unsplit input, and never dispatches a line longer than its limit.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "resume_chat/sse_decoder.h"

namespace {
std::vector<std::string> decode(const std::vector<std::string_view>& chunks) {
  std::vector<std::string> out;
  resume_chat::SseDecoder decoder(4096);
  for (auto chunk : chunks) {
    if (!decoder.feed(chunk, [&](const resume_chat::SseEvent& e) {
          if (e.data.size() > 4096 * 64) std::abort();
          out.push_back(e.type + '\0' + e.data);
          return true;
        })) {
      out.push_back("<failed>");
      break;
    }
  }
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t split = data[0] % (input.size() + 1);
  if (decode({input}) != decode({input.substr(0, split), input.substr(split)})) std::abort();
  return 0;
}
