// Incremental Server-Sent Events decoder (WHATWG "event stream interpretation"): bytes in,
// events out, whatever way the bytes are split into chunks.
//
// Lines end at \n, \r\n or \r (a \r at the end of one chunk and \n at the start of the
// next are one line end). Lines starting with ':' are comments. `data` lines are joined
// with \n; `event` names the event ("message" when absent); `id`, `retry` and unknown
// fields are ignored. A blank line dispatches the pending event, if it has data or a name.
// An event not closed by a blank line when the stream ends is never dispatched.
// Splitting is on bytes, so UTF-8 sequences split across chunks stay intact.
#ifndef RESUME_CHAT_SSE_DECODER_H_
#define RESUME_CHAT_SSE_DECODER_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace resume_chat {

struct SseEvent {
  std::string type;  // "message" when the event had no `event:` field
  std::string data;
};

class SseDecoder {
 public:
  static constexpr size_t kDefaultMaxLine = 1 << 20;

  explicit SseDecoder(size_t max_line_bytes = kDefaultMaxLine) : max_line_(max_line_bytes) {}

  // Feeds the next chunk and calls on_event for each complete event, in order. Returns
  // false — and stays failed — if a line exceeds the limit or on_event returned false.
  bool feed(std::string_view chunk, const std::function<bool(const SseEvent&)>& on_event);
  bool failed() const { return failed_; }

 private:
  bool decode(std::string_view chunk, const std::function<bool(const SseEvent&)>& on_event);
  bool end_line(const std::function<bool(const SseEvent&)>& on_event);
  void take_field(std::string_view line);

  const size_t max_line_;
  std::string line_;
  std::string event_type_, data_;
  bool has_data_ = false;
  bool after_cr_ = false;     // the last byte seen was \r: a following \n is part of it
  bool at_start_ = true;      // a leading UTF-8 BOM is skipped
  std::string start_;         // the first bytes, until we know whether they are a BOM
  bool failed_ = false;
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_SSE_DECODER_H_
