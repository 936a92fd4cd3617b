// Fuzz target: any text a documents row may hold lays out without crashing, into blocks
// whose HTML has no markup of the text's own (every '<' in it was escaped), and whose title
// is valid UTF-8.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "resume_chat/document_layout.h"
#include "resume_chat/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string html = resume_chat::document_html(resume_chat::layout_document(text));
  if (!resume_chat::is_valid_utf8(html)) std::abort();
  for (size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    std::string_view tag = std::string_view(html).substr(at + 1, 5);
    bool ours = tag.substr(0, 2) == "p>" || tag.substr(0, 2) == "p " || tag.substr(0, 3) == "h3>" ||
                tag.substr(0, 3) == "ul>" || tag.substr(0, 3) == "ol>" || tag.substr(0, 3) == "li>" ||
                tag.substr(0, 5) == "span " || tag.substr(0, 1) == "/";
    if (!ours) std::abort();
  }
  if (!resume_chat::is_valid_utf8(resume_chat::document_title(text))) std::abort();
  return 0;
}
