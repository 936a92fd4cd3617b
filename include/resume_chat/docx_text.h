// The text of a Word document (DOCX: a zip of XML parts) through libzip and expat: the
// paragraphs of the main document part in reading order, one per line, list items marked
// "- ", tabs and line breaks kept. Text Word stores twice (a text box's fallback), deleted
// revisions and field codes are left out. Streamed: the part is inflated and parsed a chunk
// at a time (no DOM, no copy of the part), and refused once it inflates past
// ReaderLimits::max_docx_part_bytes (a zip bomb is "too large") or its text passes the
// character limit. XML Word never writes is refused with where it is: a DOCTYPE (entity
// definitions), an undeclared entity, a character reference to NUL (&#0;).
#ifndef RESUME_CHAT_DOCX_TEXT_H_
#define RESUME_CHAT_DOCX_TEXT_H_

#include <string>
#include <string_view>

#include "resume_chat/reader_limits.h"

namespace resume_chat {

enum class DocxStatus {
  kOk,
  kNotWord,      // `detail`: what it is instead, e.g. "an OpenDocument text (ODT)"
  kCorrupt,      // the archive or a part cannot be read
  kInvalidXml,   // `detail`: what and where, e.g. "an undeclared entity at line 1, column 80"
  kTooLarge,     // the main part inflates past limits.max_docx_part_bytes
  kTooMuchText,  // more than limits.max_visible_chars
};

struct DocxText {
  DocxStatus status = DocxStatus::kCorrupt;
  std::string text;    // when kOk (may be empty: a document without text)
  std::string detail;  // when kNotWord or kInvalidXml
};

// `zip_bytes` is any zip archive; DOCX is recognised by its content types, not its name.
DocxText docx_text(std::string_view zip_bytes, const ReaderLimits& limits = {});

// The paragraphs of a WordprocessingML main part (word/document.xml): kOk with the text,
// kInvalidXml when it does not parse, kTooMuchText.
DocxText docx_paragraphs(std::string_view document_xml, const ReaderLimits& limits = {});

}  // namespace resume_chat

#endif  // RESUME_CHAT_DOCX_TEXT_H_
