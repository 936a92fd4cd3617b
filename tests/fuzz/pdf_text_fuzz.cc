// Fuzz target: the PDF reader — any bytes — never crashes, always answers with a status, and
// keeps its limits: no text unless kOk, never more pages read than the cap, never more
// visible characters kept than the limit.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "resume_chat/pdf_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  resume_chat::ReaderLimits limits;
  limits.max_pdf_pages = 4;
  limits.max_visible_chars = 2000;
  resume_chat::PdfText pdf = resume_chat::pdf_text(bytes, limits);
  if (pdf.status != resume_chat::PdfStatus::kOk && !pdf.text.empty()) std::abort();
  if (pdf.pages_read > limits.max_pdf_pages) std::abort();
  if (resume_chat::visible_chars(pdf.text) > limits.max_visible_chars) std::abort();
  return 0;
}
