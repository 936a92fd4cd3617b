// Fuzz target: the DOCX reader — any bytes as a zip archive, and as the main part's XML —
// never crashes, never reads past its caps, and always answers with a status; invalid XML
// always says what and where.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "resume_chat/docx_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  resume_chat::DocxText docx = resume_chat::docx_text(bytes);
  if (docx.status == resume_chat::DocxStatus::kNotWord && docx.detail.empty()) std::abort();
  if (docx.status != resume_chat::DocxStatus::kOk && !docx.text.empty()) std::abort();
  resume_chat::ReaderLimits limits;
  limits.max_visible_chars = 1000;
  resume_chat::DocxText xml = resume_chat::docx_paragraphs(bytes, limits);
  if (xml.status == resume_chat::DocxStatus::kInvalidXml && xml.detail.find(" at line ") == std::string::npos) {
    std::abort();
  }
  if (xml.status != resume_chat::DocxStatus::kOk && !xml.text.empty()) std::abort();
  return 0;
}
