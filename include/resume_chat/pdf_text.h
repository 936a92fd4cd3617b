// The text layer of a PDF, page by page in reading order, through poppler-cpp (Debian's
// libpoppler-cpp). poppler's objects are owned by RAII wrappers; its exceptions and its
// diagnostics on stderr stay inside this module.
#ifndef RESUME_CHAT_PDF_TEXT_H_
#define RESUME_CHAT_PDF_TEXT_H_

#include <string>
#include <string_view>

namespace resume_chat {

enum class PdfStatus { kOk, kUnreadable, kEncrypted, kNoText };

struct PdfText {
  PdfStatus status = PdfStatus::kUnreadable;
  std::string text;  // UTF-8, pages separated by a form feed; when kOk, has visible text
};

// Any PDF that is encrypted is kEncrypted, also one that opens without a password: its
// owner password restricts what may be done with it, copying text included.
PdfText pdf_text(std::string_view bytes);

}  // namespace resume_chat

#endif  // RESUME_CHAT_PDF_TEXT_H_
