// Fuzz target: the acceptor's check of whether a FastCGI request has arrived, on arbitrary
// bytes a peer could send before any thread sees the connection.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "resume_chat/fcgi_arrival.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  resume_chat::Arrival whole = resume_chat::fcgi_arrival(bytes);
  // A request that has arrived stays arrived, whatever follows it.
  for (size_t cut = 0; cut <= size; cut += 1 + size / 16) {
    if (resume_chat::fcgi_arrival(bytes.substr(0, cut), size_t(-1)) == resume_chat::Arrival::kComplete &&
        whole != resume_chat::Arrival::kComplete) {
      std::abort();
    }
  }
  return 0;
}
