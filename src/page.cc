// Page rendering with mstch (HTML-escaped variables; the documents as HTML that
// document_layout.h built from escaped text), the header's candidate and role, the starter
// suggestions, and the advice under an error.
#include "resume_chat/page.h"

#include <sstream>

#include "resume_chat/document_layout.h"
#include "resume_chat/html.h"
#include "resume_chat/mustache.h"
#include "resume_chat/user_texts.h"
#include "resume_chat/text.h"
#include "resume_chat/utf8.h"

namespace resume_chat {
namespace {

std::string trimmed(const std::string& line) {
  const char* space = " \t\r\n\v\f";
  size_t first = line.find_first_not_of(space);
  if (first == std::string::npos) return "";
  return line.substr(first, line.find_last_not_of(space) - first + 1);
}

}  // namespace

std::optional<PageRenderer> PageRenderer::load(const std::string& templates_dir) {
  auto text = read_text_file(templates_dir + "/page.mustache");
  if (!text) return std::nullopt;
  auto starters = read_text_file(templates_dir + "/starters.txt");
  return PageRenderer(std::move(*text), starters ? parse_starters(*starters)
                                                 : std::vector<std::string>{});
}

PageHeading page_heading(const PageModel& model) {
  PageHeading heading{document_title(model.resume, kMaxCandidateChars),
                      document_title(model.jd, kMaxRoleChars), ""};
  // A name another application stored may hold invisible characters: shown escaped (\u202E).
  if (heading.candidate.empty()) heading.candidate = escape_invisible(model.document_name);
  heading.title = heading.candidate;
  if (!heading.role.empty()) heading.title += " \xC2\xB7 " + heading.role;  // ·
  return heading;
}

std::string PageRenderer::render(const PageModel& model) const {
  if (!model.ready) return render_uncached(model);
  std::shared_ptr<const CutPage> page = ready_page(model);
  if (!page) return render_uncached(model);
  return page->before_session + html_escape(model.session_token) + page->after_session;
}

std::shared_ptr<const PageRenderer::CutPage> PageRenderer::ready_page(const PageModel& model) const {
  constexpr size_t kMaxPages = 64;
  constexpr size_t kMaxBytes = 16 << 20;  // keys and pages: ~50 KB each for a usual resume
  std::string key = model.document_name;
  for (const std::string* part : {&model.resume, &model.jd}) key.append(1, '\0').append(*part);
  key.append(1, '\0').append(std::to_string(model.max_message_chars));
  {
    std::lock_guard<std::mutex> lock(pages_->mu);
    auto found = pages_->pages.find(key);
    if (found != pages_->pages.end()) return found->second;
  }
  PageModel tokenless = model;  // rendered outside the lock
  tokenless.session_token.clear();
  std::string html = render_uncached(tokenless);
  const std::string attribute = "data-session=\"";  // escaped text cannot hold a bare `"`
  const size_t at = html.find(attribute);
  if (at == std::string::npos) return nullptr;  // a template without the session
  const size_t cut = at + attribute.size();
  auto page = std::make_shared<const CutPage>(CutPage{html.substr(0, cut), html.substr(cut)});
  const size_t bytes = key.size() + html.size();
  std::lock_guard<std::mutex> lock(pages_->mu);
  if (pages_->pages.size() >= kMaxPages || pages_->bytes + bytes > kMaxBytes) {
    pages_->pages.clear();
    pages_->bytes = 0;
  }
  if (bytes <= kMaxBytes && pages_->pages.emplace(std::move(key), page).second) pages_->bytes += bytes;
  return page;
}

std::string PageRenderer::render_uncached(const PageModel& model) const {
  mstch::array starters;
  for (const std::string& text : starters_) starters.push_back(mstch::map{{"text", text}});
  PageHeading heading = page_heading(model);
  mstch::map context{
      {"ready", model.ready},
      {"error", model.error},
      {"advice", error_advice(model.error)},
      {"name", escape_invisible(model.document_name)},
      {"title", heading.title},
      {"candidate", heading.candidate},
      {"role", heading.role},
      // Built from escaped text only (document_layout.h): inserted as it is ({{{…}}}).
      {"resume_html", model.ready ? document_html(layout_document(model.resume)) : std::string()},
      {"jd_html", model.ready ? document_html(layout_document(model.jd)) : std::string()},
      {"session", model.session_token},
      {"max_chars", std::to_string(model.max_message_chars)},
      {"starters", starters},
  };
  return render_html(template_, context);
}

std::vector<std::string> parse_starters(const std::string& text) {
  std::vector<std::string> starters;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line) && starters.size() < kMaxStarters;) {
    line = trimmed(line);
    if (line.empty() || line[0] == '#' || !is_valid_utf8(line)) continue;
    starters.push_back(line);
  }
  return starters;
}

std::string error_advice(const std::string& error) {
  if (error == kErrorMissingQ) {
    return "This page opens from a link that names a document, like /?q=NAME. Check the "
           "link you were sent.";
  }
  const std::string not_found = error_not_found("");  // "…name ''": the text before the name
  if (starts_with(error, not_found.substr(0, not_found.size() - 1))) {
    return "Check the link you were sent: the name must match exactly. If it does, the "
           "document may have been removed; ask the person who sent it.";
  }
  if (error == kErrorDatabase) return "Please try again in a few minutes.";
  if (error.empty()) return "";
  return "The chat is not set up completely on this server. Please tell its operator.";
}

std::string display_text(const std::string& text, size_t max_chars) {
  const std::string visible = escape_invisible(text);  // invalid UTF-8 as U+FFFD too
  if (utf8_length(visible) <= max_chars) return visible;
  size_t end = 0;
  for (size_t chars = 0; chars < max_chars; ++chars) next_code_point(visible, end);
  return visible.substr(0, end) + "\xE2\x80\xA6";  // …
}

}  // namespace resume_chat
