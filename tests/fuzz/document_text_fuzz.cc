// Fuzz target: any file given to `documents put` is either refused with a reason or becomes
// non-empty valid UTF-8 that normalisation leaves as it is (normalising is idempotent).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "resume_chat/document_readers.h"
#include "resume_chat/document_text.h"
#include "resume_chat/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The readers linked into this program (instrumented, under libFuzzer), not loaded.
  static const bool linked = (resume_chat::use_linked_document_readers(resume_chat_document_readers()), true);
  (void)linked;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  resume_chat::ExtractedText result = resume_chat::extract_text(bytes);
  if (result.ok && !result.reason.empty()) std::abort();
  if (!result.ok && result.reason.empty()) std::abort();
  if (result.ok && (result.text.empty() || !resume_chat::is_valid_utf8(result.text) ||
                    resume_chat::normalize_text(result.text) != result.text)) {
    std::abort();
  }
  std::string sane = resume_chat::sanitize_utf8(bytes);
  if (!resume_chat::is_valid_utf8(sane)) std::abort();
  std::string once = resume_chat::normalize_text(sane);
  if (resume_chat::normalize_text(once) != once) std::abort();
  return 0;
}
