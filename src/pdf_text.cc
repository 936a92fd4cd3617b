// PDF text through poppler-cpp: the library's objects in unique_ptrs, its exceptions caught
// here, its error chatter on stderr silenced (a malformed PDF is an answer, not a log); the
// page count checked before any page is read, the text counted page by page.
#include "resume_chat/pdf_text.h"

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <climits>
#include <exception>
#include <memory>
#include <mutex>

namespace resume_chat {
namespace {

void ignore_poppler_message(const std::string&, void*) {}

void silence_poppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function(ignore_poppler_message, nullptr); });
}

bool has_visible_text(const std::string& text) {
  for (unsigned char c : text) {
    if (c > ' ') return true;
  }
  return false;
}

PdfText read_pages(const poppler::document& document, const ReaderLimits& limits) {
  PdfText result;
  result.pages = document.pages();
  if (result.pages <= 0) return {PdfStatus::kBrokenPageTree, "", result.pages, 0};
  if (result.pages > limits.max_pdf_pages) return {PdfStatus::kTooManyPages, "", result.pages, 0};
  size_t visible = 0;
  for (int i = 0; i < result.pages; ++i) {
    std::unique_ptr<poppler::page> page(document.create_page(i));
    if (!page) return {PdfStatus::kBrokenPageTree, "", result.pages, i + 1};
    poppler::byte_array utf8 =
        page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout).to_utf8();
    std::string_view text(utf8.data(), utf8.size());
    result.pages_read = i + 1;
    visible += visible_chars(text);
    if (visible > limits.max_visible_chars) return {PdfStatus::kTooMuchText, "", result.pages, i + 1};
    if (i > 0) result.text += '\f';
    result.text += text;
  }
  if (!has_visible_text(result.text)) return {PdfStatus::kNoText, "", result.pages, result.pages_read};
  result.status = PdfStatus::kOk;
  return result;
}

}  // namespace

PdfText pdf_text(std::string_view bytes, const ReaderLimits& limits) {
  silence_poppler();
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return {};
  try {
    // poppler reads from `bytes` without copying; it outlives `document`.
    std::unique_ptr<poppler::document> document(poppler::document::load_from_raw_data(
        bytes.data(), static_cast<int>(bytes.size())));
    if (!document) return {};
    if (document->is_locked() || document->is_encrypted()) return {PdfStatus::kEncrypted, ""};
    return read_pages(*document, limits);
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace resume_chat
