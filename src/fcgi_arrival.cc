// FastCGI 1.0 record headers (§3.3): version, type, request id, content and padding length.
#include "resume_chat/fcgi_arrival.h"

namespace resume_chat {
namespace {

constexpr unsigned char kParams = 4;
constexpr unsigned char kStdin = 5;
constexpr unsigned char kMaxType = 11;

}  // namespace

Arrival fcgi_arrival(std::string_view buffered, size_t body_enough) {
  bool params_ended = false;
  size_t at = 0;
  while (buffered.size() - at >= 8) {
    const auto* header = reinterpret_cast<const unsigned char*>(buffered.data() + at);
    const unsigned char type = header[1];
    const size_t length = (size_t{header[4]} << 8) | header[5];
    if (header[0] != 1 || type == 0 || type > kMaxType) return Arrival::kInvalid;
    if (type == kParams && length == 0) params_ended = true;
    if (type == kStdin && length == 0) return params_ended ? Arrival::kComplete : Arrival::kInvalid;
    at += 8 + length + header[6];
    if (at > buffered.size()) break;
  }
  return params_ended && buffered.size() >= body_enough ? Arrival::kComplete : Arrival::kPartial;
}

}  // namespace resume_chat
