// Fuzz target: the .env parser never crashes and only yields well-formed keys.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "resume_chat/dotenv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto entries = resume_chat::parse_dotenv(std::string_view(reinterpret_cast<const char*>(data), size));
  for (const auto& [key, value] : entries) {
    if (key.empty() || key.find('=') != std::string::npos) std::abort();
  }
  return 0;
}
