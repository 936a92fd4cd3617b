// Fuzz target: query-string decoding and UTF-8 checks on arbitrary bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "resume_chat/page.h"
#include "resume_chat/url.h"
#include "resume_chat/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view query(reinterpret_cast<const char*>(data), size);
  if (resume_chat::percent_decode(query).size() > size) std::abort();  // never grows
  if (auto q = resume_chat::query_param(query, "q")) {
    std::string shown = resume_chat::display_text(*q, 300);
    if (!resume_chat::is_valid_utf8(shown)) std::abort();  // display text is always valid
  }
  return 0;
}
