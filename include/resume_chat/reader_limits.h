// How much of a file the PDF and DOCX readers read before they stop and say it is too large,
// and the count of characters they stop on. Header-only: the readers library
// (document_readers.h) and the worker's library both use it.
#ifndef RESUME_CHAT_READER_LIMITS_H_
#define RESUME_CHAT_READER_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "resume_chat/utf8.h"

namespace resume_chat {

struct ReaderLimits {
  // Reading stops once the text has more visible characters than this (see visible_chars).
  size_t max_visible_chars = SIZE_MAX;
  // A resume or a job description is a few pages; 100 pages of text is already more than
  // the 200,000 characters a document may have.
  int max_pdf_pages = 100;
  // Word's main part is some 15 bytes of markup per character of text; a 30-page resume
  // full of tables is under 2 MB.
  size_t max_docx_part_bytes = 8u * 1024 * 1024;
};

// Characters that stay characters when the text is normalised (document_text.h): not
// whitespace, not control characters, not a BOM. At most the normalised text's length, so
// stopping on it never refuses a text the final count would accept. `utf8` is valid UTF-8.
inline size_t visible_chars(std::string_view utf8) {
  size_t count = 0;
  for (size_t i = 0; i < utf8.size();) {
    const char32_t c = next_code_point(utf8, i);
    const bool invisible = c <= 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0x1680 ||
                           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
                           c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
    if (!invisible) ++count;
  }
  return count;
}

}  // namespace resume_chat

#endif  // RESUME_CHAT_READER_LIMITS_H_
