// Recognising a document's format from its first bytes, dispatching to the PDF and DOCX
// readers (in a child process under limits, for a file), and normalising whatever text
// comes out.
#include "resume_chat/document_text.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "resume_chat/document_readers.h"
#include "resume_chat/reader_limits.h"
#include "resume_chat/reader_sandbox.h"
#include "resume_chat/text.h"
#include "resume_chat/utf8.h"

namespace resume_chat {
namespace {

ExtractedText refused(std::string reason) {
  ExtractedText result;
  result.reason = std::move(reason);
  return result;
}

// Formats that are surely not a document's text, by their signatures; "" when none.
std::string known_other_format(std::string_view b) {
  const char* image = nullptr;
  if (starts_with(b, "\x89PNG\r\n\x1a\n")) image = "PNG";
  else if (starts_with(b, "\xFF\xD8\xFF")) image = "JPEG";
  else if (starts_with(b, "GIF87a") || starts_with(b, "GIF89a")) image = "GIF";
  else if (starts_with(b, "RIFF") && b.substr(8, 4) == "WEBP") image = "WebP";
  else if (starts_with(b, std::string_view("II*\0", 4)) || starts_with(b, std::string_view("MM\0*", 4))) image = "TIFF";
  else if (b.substr(4, 8) == "ftypheic" || b.substr(4, 8) == "ftypmif1") image = "HEIC";
  if (image != nullptr) {
    return std::string("it is an image (") + image +
           "), not a document: use the PDF or DOCX it came from, or run OCR on it first";
  }
  if (starts_with(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) {
    return "it is an old Word (.doc) or other Office 97-2003 file: save it as DOCX or PDF";
  }
  if (starts_with(b, "{\\rtf")) return "it is RTF: save it as DOCX or PDF";
  if (starts_with(b, "\xFF\xFE") || starts_with(b, "\xFE\xFF")) {
    return "it is UTF-16 text: save it as UTF-8";
  }
  return "";
}

// A PDF may have a little junk before its header; readers look in the first 1 KB.
bool looks_like_pdf(std::string_view bytes) {
  return bytes.substr(0, 1024).find("%PDF-") != std::string_view::npos;
}

bool is_zip(std::string_view bytes) {
  return starts_with(bytes, "PK\x03\x04") || starts_with(bytes, "PK\x05\x06");
}

// Control characters other than whitespace mean binary data, not text.
bool has_binary_bytes(std::string_view bytes) {
  for (unsigned char c : bytes) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7F) {
      return true;
    }
  }
  return false;
}

ExtractedText finish(DocumentFormat format, std::string_view raw) {
  ExtractedText result;
  result.format = format;
  result.text = normalize_text(sanitize_utf8(raw));
  if (result.text.empty()) return refused("there is no text in it");
  size_t chars = utf8_length(result.text);
  if (chars > kMaxDocumentTextChars) {
    return refused("it has " + std::to_string(chars) + " characters of text, more than the " +
                   std::to_string(kMaxDocumentTextChars) + " a document may have");
  }
  result.ok = true;
  return result;
}

// The readers stop as soon as the text passes the limit: no more is worth reading.
ReaderLimits reader_limits() {
  ReaderLimits limits;
  limits.max_visible_chars = kMaxDocumentTextChars;
  return limits;
}

std::string too_much_text(const std::string& where = "") {
  return "it has more than the " + std::to_string(kMaxDocumentTextChars) +
         " characters of text a document may have" + where + ": use a shorter file";
}

ExtractedText from_pdf(std::string_view bytes) {
  std::string error;
  const DocumentReaders* readers = document_readers(error);
  if (readers == nullptr) return refused(error);
  const ReaderLimits limits = reader_limits();
  PdfText pdf = readers->pdf(bytes, limits);
  switch (pdf.status) {
    case PdfStatus::kOk:
      return finish(DocumentFormat::kPdf, pdf.text);
    case PdfStatus::kEncrypted:
      return refused("the PDF is encrypted: save an unencrypted copy first (e.g. qpdf --decrypt)");
    case PdfStatus::kNoText:
      return refused("the PDF has no text layer (scanned? run OCR first, e.g. ocrmypdf)");
    case PdfStatus::kBrokenPageTree:
      return refused(std::string("the PDF opens but could not read its page tree") +
                     (pdf.pages_read > 0 ? " (page " + std::to_string(pdf.pages_read) + ")" : "") +
                     ": it is damaged; print it to PDF again");
    case PdfStatus::kTooManyPages:
      return refused("the PDF is too large: " + std::to_string(pdf.pages) + " pages, more than the " +
                     std::to_string(limits.max_pdf_pages) +
                     " read; print only the pages that matter to PDF");
    case PdfStatus::kTooMuchText:
      return refused(too_much_text(" (reading stopped at page " + std::to_string(pdf.pages_read) +
                                   " of " + std::to_string(pdf.pages) + ")"));
    case PdfStatus::kUnreadable:
      break;
  }
  return refused("it looks like a PDF but cannot be read (damaged or truncated?)");
}

ExtractedText from_zip(std::string_view bytes) {
  std::string error;
  const DocumentReaders* readers = document_readers(error);
  if (readers == nullptr) return refused(error);
  const ReaderLimits limits = reader_limits();
  DocxText docx = readers->docx(bytes, limits);
  switch (docx.status) {
    case DocxStatus::kOk:
      return finish(DocumentFormat::kDocx, docx.text);
    case DocxStatus::kNotWord:
      return refused("it is " + docx.detail);
    case DocxStatus::kInvalidXml:
      return refused("the Word document is not as Word writes it: " + docx.detail +
                     "; open it in Word and save it again, or save it as PDF");
    case DocxStatus::kTooLarge:
      return refused("the Word document is too large: its text part inflates to more than " +
                     std::to_string(limits.max_docx_part_bytes / (1024 * 1024)) +
                     " MB (a resume's is well under 2 MB): save it as PDF or .txt");
    case DocxStatus::kTooMuchText:
      return refused(too_much_text());
    case DocxStatus::kCorrupt:
      break;
  }
  return refused("it looks like a Word document (DOCX) but cannot be read (damaged?)");
}

ExtractedText from_text(std::string_view bytes) {
  if (starts_with(bytes, "\xEF\xBB\xBF")) bytes.remove_prefix(3);
  if (has_binary_bytes(bytes)) {
    return refused("it is not a format resume-chat reads (binary data): use text, Markdown, "
                   "PDF or DOCX");
  }
  if (!is_valid_utf8(bytes)) {
    return refused("it is text but not UTF-8 (Latin-1 or Windows-1252?): save it as UTF-8");
  }
  return finish(DocumentFormat::kText, bytes);
}

std::string too_large() {
  return "it is larger than " + std::to_string(kMaxDocumentFileBytes / (1024 * 1024)) + " MB";
}

bool is_space(char32_t c) {
  return c == '\t' || c == ' ' || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_dropped(char32_t c) {
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0xFEFF;
}

// Pass 1: every line break becomes '\n', every space ' ', control characters go.
std::string map_characters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const char32_t c = next_code_point(text, i);
    if (c == '\r' && i < text.size() && text[i] == '\n') continue;  // the \n follows
    if (c == '\n' || c == '\r' || c == '\v' || c == 0x85 || c == 0x2028) {
      out += '\n';
    } else if (c == '\f' || c == 0x2029) {
      out += "\n\n";
    } else if (is_space(c)) {
      out += ' ';
    } else if (!is_dropped(c)) {
      out.append(text, start, i - start);
    }
  }
  return out;
}

// Pass 2, per line: indentation kept, inner runs of spaces collapsed, trailing ones dropped.
std::string tidy_line(std::string_view line) {
  size_t indent = line.find_first_not_of(' ');
  if (indent == std::string_view::npos) return "";
  std::string out(indent, ' ');
  bool space = false;
  for (size_t i = indent; i < line.size(); ++i) {
    if (line[i] == ' ') {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += line[i];
  }
  return out;
}

// The child's answer over the pipe: ok, format, the reason on one line, then the text.
std::string serialize(const ExtractedText& result) {
  std::string reason = result.reason;
  std::replace(reason.begin(), reason.end(), '\n', ' ');
  return std::string(1, result.ok ? '1' : '0') + static_cast<char>('0' + static_cast<int>(result.format)) +
         reason + '\n' + result.text;
}

ExtractedText deserialize(const std::string& answer) {
  size_t newline = answer.find('\n');
  if (answer.size() < 2 || newline == std::string::npos) return refused("the reader gave no answer");
  ExtractedText result;
  result.ok = answer[0] == '1';
  result.format = static_cast<DocumentFormat>(std::clamp(answer[1] - '0', 0, 2));
  result.reason = answer.substr(2, newline - 2);
  result.text = answer.substr(newline + 1);
  return result;
}

// What each kind of file is for the child's refusals, and what to do instead.
struct ReaderKind {
  const char* what;
  const char* instead;
};

ReaderKind reader_kind(std::string_view bytes) {
  if (looks_like_pdf(bytes)) return {"the PDF", "print it to PDF again, or save it as .txt"};
  if (is_zip(bytes)) return {"the Word document", "save it as PDF or .txt"};
  return {"the file", "save it as .txt"};
}

std::string child_refusal(const ChildRun& run, const ChildLimits& limits, std::string_view bytes) {
  ReaderKind kind = reader_kind(bytes);
  const std::string what = kind.what, instead = kind.instead;
  switch (run.end) {
    case ChildEnd::kOutOfMemory:
      return what + " is too large: reading it needed more than " +
             std::to_string(limits.address_space_bytes / (1024 * 1024)) + " MB of memory; " + instead;
    case ChildEnd::kCpuTime:
      return what + " is too slow to read: it took more than " + std::to_string(limits.cpu_seconds) +
             " s of CPU time; " + instead;
    case ChildEnd::kWallClock:
      return what + " is too slow to read: no answer within " + std::to_string(limits.wall_seconds) +
             " s; " + instead;
    case ChildEnd::kOutputTooLarge:
      return what + " is too large: its text is more than " +
             std::to_string(limits.max_output_bytes / (1024 * 1024)) + " MB; " + instead;
    case ChildEnd::kCrashed:
      return "the reader failed on " + what + ": " + run.detail + "; " + instead;
    case ChildEnd::kCannotStart:
      return "cannot start the reader: " + run.detail;
    case ChildEnd::kFinished:
      break;
  }
  return "";
}

}  // namespace

const char* format_name(DocumentFormat format) {
  switch (format) {
    case DocumentFormat::kPdf: return "PDF";
    case DocumentFormat::kDocx: return "DOCX";
    case DocumentFormat::kText: break;
  }
  return "text";
}

std::string normalize_text(std::string_view utf8) {
  std::string mapped = map_characters(utf8);
  std::string out;
  int blank_lines = 0;
  size_t start = 0;
  while (start <= mapped.size()) {
    size_t end = mapped.find('\n', start);
    if (end == std::string::npos) end = mapped.size();
    std::string line = tidy_line(std::string_view(mapped).substr(start, end - start));
    start = end + 1;
    if (line.empty()) {
      ++blank_lines;
      continue;
    }
    if (!out.empty()) out += blank_lines > 0 ? "\n\n" : "\n";
    out += line;
    blank_lines = 0;
  }
  return out;
}

ExtractedText extract_text(std::string_view bytes) {
  if (bytes.empty()) return refused("the file is empty");
  if (std::string other = known_other_format(bytes); !other.empty()) return refused(other);
  if (looks_like_pdf(bytes)) return from_pdf(bytes);
  if (is_zip(bytes)) return from_zip(bytes);
  return from_text(bytes);
}

ExtractedText extract_text_in_child(std::string_view bytes, const ChildLimits& limits) {
  ChildRun run = run_in_child([&] { return serialize(extract_text(bytes)); }, limits);
  ExtractedText result =
      run.end == ChildEnd::kFinished ? deserialize(run.output) : refused(child_refusal(run, limits, bytes));
  result.reading = run.usage;
  return result;
}

ExtractedText extract_text_file(const std::string& path, const ChildLimits& limits) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    return refused(errno == ENOENT ? "no such file" : std::string("cannot read it: ") + std::strerror(errno));
  }
  if (S_ISDIR(info.st_mode)) return refused("it is a directory, not a file");
  if (!S_ISREG(info.st_mode)) return refused("it is not a regular file");
  if (static_cast<unsigned long long>(info.st_size) > kMaxDocumentFileBytes) {
    return refused(too_large());
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return refused(std::string("cannot read it: ") + std::strerror(errno));
  // Capped again while reading: the file may have grown since stat().
  std::string bytes(kMaxDocumentFileBytes + 1, '\0');
  file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (file.bad()) return refused("cannot read it: read error");
  bytes.resize(static_cast<size_t>(file.gcount()));
  if (bytes.size() > kMaxDocumentFileBytes) return refused(too_large());
  bytes.shrink_to_fit();  // the reader's child inherits this process's memory
  return extract_text_in_child(bytes, limits);
}

}  // namespace resume_chat
