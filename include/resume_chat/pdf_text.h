// The text layer of a PDF, page by page in reading order, through poppler-cpp (Debian's
// libpoppler-cpp). poppler's objects are owned by RAII wrappers; its exceptions and its
// diagnostics on stderr stay inside this module. Bounded by ReaderLimits: a page count, and
// reading stops at the page where the text passes the character limit. (One page's cost is
// poppler's: bounded by the child process the reader runs in, reader_sandbox.h.)
#ifndef RESUME_CHAT_PDF_TEXT_H_
#define RESUME_CHAT_PDF_TEXT_H_

#include <string>
#include <string_view>

#include "resume_chat/reader_limits.h"

namespace resume_chat {

enum class PdfStatus {
  kOk,
  kUnreadable,
  kEncrypted,
  kNoText,
  kBrokenPageTree,  // it opens, but poppler finds no pages or cannot load one
  kTooManyPages,    // more than limits.max_pdf_pages
  kTooMuchText,     // stopped at `pages_read`: more than limits.max_visible_chars
};

struct PdfText {
  PdfStatus status = PdfStatus::kUnreadable;
  std::string text;  // UTF-8, pages separated by a form feed; when kOk, has visible text
  int pages = 0;       // the document's page count, once it opened
  int pages_read = 0;  // kTooMuchText: where reading stopped; kBrokenPageTree: the bad page
};

// Any PDF that is encrypted is kEncrypted, also one that opens without a password: its
// owner password restricts what may be done with it, copying text included.
PdfText pdf_text(std::string_view bytes, const ReaderLimits& limits = {});

}  // namespace resume_chat

#endif  // RESUME_CHAT_PDF_TEXT_H_
