// Page rendering with mstch (HTML-escaped variables only).
#include "resume_chat/page.h"

#include "resume_chat/mustache.h"
#include "resume_chat/utf8.h"

namespace resume_chat {

std::optional<PageRenderer> PageRenderer::load(const std::string& templates_dir) {
  auto text = read_text_file(templates_dir + "/page.mustache");
  if (!text) return std::nullopt;
  return PageRenderer(std::move(*text));
}

std::string PageRenderer::render(const PageModel& model) const {
  mstch::map context{
      {"ready", model.ready},
      {"error", model.error},
      {"title", model.document_name},
      {"resume", model.resume},
      {"jd", model.jd},
      {"session", model.session_token},
      {"max_chars", std::to_string(model.max_message_chars)},
  };
  return render_html(template_, context);
}

std::string display_text(const std::string& text, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size();) {
    if (chars == max_chars) return out + "\xE2\x80\xA6";  // …
    size_t n = 1;
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0xF0) n = 4;
    else if (c >= 0xE0) n = 3;
    else if (c >= 0xC0) n = 2;
    std::string_view piece(text.data() + i, std::min(n, text.size() - i));
    if (c >= 0x80 && !is_valid_utf8(piece)) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      i += 1;
    } else {
      out += piece;
      i += piece.size();
    }
    ++chars;
  }
  return out;
}

}  // namespace resume_chat
