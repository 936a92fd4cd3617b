// The text of the files people really have — plain text, Markdown, PDF and DOCX — for
// `resume-chat documents put`. The format is recognised from the content, never from the
// file name; the result is valid UTF-8 with whitespace normalised. Anything else (an
// image, a scan without a text layer, an encrypted PDF, an empty result, a huge file) is a
// refusal whose reason is one line a person can act on. Nothing here throws.
// A file's PDF and DOCX readers run in a child process under limits (reader_sandbox.h): a
// file that needs more memory or time than a resume could is refused as too large or too
// slow, whatever it makes the reader do.
#ifndef RESUME_CHAT_DOCUMENT_TEXT_H_
#define RESUME_CHAT_DOCUMENT_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "resume_chat/reader_sandbox.h"

namespace resume_chat {

enum class DocumentFormat { kText, kPdf, kDocx };

// "text", "PDF", "DOCX": for the command's report.
const char* format_name(DocumentFormat format);

struct ExtractedText {
  bool ok = false;
  DocumentFormat format = DocumentFormat::kText;
  std::string text;    // when ok: normalised, valid UTF-8, not empty
  std::string reason;  // when !ok: why, e.g. "it is an image (PNG), not a document"
  ChildUsage reading;  // what reading it in a child cost (extract_text_in_child)
};

// Larger files are refused before they are read: a resume is a few hundred KB at most.
constexpr size_t kMaxDocumentFileBytes = 20u * 1024 * 1024;
// Both texts go into every prompt; more than this is not a resume or a job description.
constexpr size_t kMaxDocumentTextChars = 200000;

// In this process: the readers' own limits hold (pages, characters, a DOCX part's size),
// but not memory or time. For fuzzing and tests of the formats.
ExtractedText extract_text(std::string_view bytes);

// extract_text in a child process under `limits`; their refusals say which one was hit.
ExtractedText extract_text_in_child(std::string_view bytes, const ChildLimits& limits = {});

// Reads `path` (refusing a missing, unreadable or too large file) and extracts its text in a
// child process.
ExtractedText extract_text_file(const std::string& path, const ChildLimits& limits = {});

// Line breaks to \n (form feeds: a blank line), other whitespace to single spaces inside a
// line (indentation kept), no trailing spaces, at most one blank line in a row, nothing
// around the text, no control characters. `utf8` must be valid UTF-8.
std::string normalize_text(std::string_view utf8);

}  // namespace resume_chat

#endif  // RESUME_CHAT_DOCUMENT_TEXT_H_
