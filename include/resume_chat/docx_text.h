// The text of a Word document (DOCX: a zip of XML parts) through libzip and pugixml:
// the paragraphs of the main document part in reading order, one per line, list items
// marked "- ", tabs and line breaks kept. Text Word stores twice (a text box's fallback),
// deleted revisions and field codes are left out. Bounded: a zip bomb is refused.
#ifndef RESUME_CHAT_DOCX_TEXT_H_
#define RESUME_CHAT_DOCX_TEXT_H_

#include <optional>
#include <string>
#include <string_view>

namespace resume_chat {

enum class DocxStatus { kOk, kNotWord, kCorrupt };

struct DocxText {
  DocxStatus status = DocxStatus::kCorrupt;
  std::string text;    // when kOk (may be empty: a document without text)
  std::string detail;  // when kNotWord: what it is instead, e.g. "an OpenDocument text (ODT)"
};

// The main document part's largest accepted uncompressed size.
constexpr size_t kMaxDocxPartBytes = 64u * 1024 * 1024;

// `zip_bytes` is any zip archive; DOCX is recognised by its content types, not its name.
DocxText docx_text(std::string_view zip_bytes);

// The paragraphs of a WordprocessingML main part (word/document.xml); nullopt if the XML
// does not parse.
std::optional<std::string> docx_paragraphs(std::string_view document_xml);

}  // namespace resume_chat

#endif  // RESUME_CHAT_DOCX_TEXT_H_
