// The server-rendered page (templates/page.mustache): the seed's four rows, in a ready
// state or in one of its error states.
#ifndef RESUME_CHAT_PAGE_H_
#define RESUME_CHAT_PAGE_H_

#include <optional>
#include <string>

namespace resume_chat {

struct PageModel {
  bool ready = false;         // chat enabled, documents shown
  std::string error;          // shown in #error when not empty
  std::string document_name;  // for the title
  std::string resume, jd;
  std::string session_token;  // data-session, only when ready
  int max_message_chars = 8000;
};

class PageRenderer {
 public:
  // Reads templates_dir/page.mustache once; std::nullopt when it cannot be read.
  static std::optional<PageRenderer> load(const std::string& templates_dir);
  explicit PageRenderer(std::string tmpl) : template_(std::move(tmpl)) {}

  // Everything in `model` is HTML-escaped in the output.
  std::string render(const PageModel& model) const;

 private:
  std::string template_;
};

// Shortens text for display to at most `max_chars` code points, adding "…"; invalid UTF-8
// is replaced by U+FFFD so it can be shown.
std::string display_text(const std::string& text, size_t max_chars);

}  // namespace resume_chat

#endif  // RESUME_CHAT_PAGE_H_
