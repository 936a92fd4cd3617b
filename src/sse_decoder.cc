// SSE decoding; the rules are in sse_decoder.h.
#include "resume_chat/sse_decoder.h"

namespace resume_chat {

bool SseDecoder::feed(std::string_view chunk,
                      const std::function<bool(const SseEvent&)>& on_event) {
  if (failed_) return false;
  if (!at_start_) return decode(chunk, on_event);
  // A leading BOM is dropped; it may itself arrive split across chunks.
  static constexpr std::string_view kBom = "\xEF\xBB\xBF";
  start_.append(chunk);
  if (start_.size() < kBom.size() && kBom.substr(0, start_.size()) == start_) return true;
  at_start_ = false;
  std::string first;
  first.swap(start_);
  std::string_view rest(first);
  if (rest.substr(0, kBom.size()) == kBom) rest.remove_prefix(kBom.size());
  return decode(rest, on_event);
}

bool SseDecoder::decode(std::string_view chunk,
                        const std::function<bool(const SseEvent&)>& on_event) {
  size_t start = 0;
  for (size_t i = 0; i < chunk.size(); ++i) {
    char c = chunk[i];
    if (c != '\n' && c != '\r') continue;
    if (c == '\n' && after_cr_ && i == start) {
      after_cr_ = false;  // the \n of a \r\n, possibly split across chunks
      start = i + 1;
      continue;
    }
    line_.append(chunk.data() + start, i - start);
    if (line_.size() > max_line_ || !end_line(on_event)) {
      failed_ = true;
      return false;
    }
    after_cr_ = c == '\r';
    start = i + 1;
  }
  if (start < chunk.size()) after_cr_ = false;
  line_.append(chunk.data() + start, chunk.size() - start);
  if (line_.size() > max_line_) failed_ = true;
  return !failed_;
}

bool SseDecoder::end_line(const std::function<bool(const SseEvent&)>& on_event) {
  std::string line;
  line.swap(line_);
  if (!line.empty()) {
    take_field(line);
    return true;
  }
  if (!has_data_ && event_type_.empty()) return true;
  SseEvent event;
  event.type = event_type_.empty() ? "message" : std::move(event_type_);
  event.data = std::move(data_);
  if (!event.data.empty() && event.data.back() == '\n') event.data.pop_back();
  event_type_.clear();
  data_.clear();
  has_data_ = false;
  return on_event(event);
}

void SseDecoder::take_field(std::string_view line) {
  if (line.front() == ':') return;  // comment
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    event_type_.assign(value);
  } else if (field == "data") {
    data_.append(value);
    data_ += '\n';
    has_data_ = true;
  }
  // id, retry and unknown fields do not matter to this client.
}

}  // namespace resume_chat
