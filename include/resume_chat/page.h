// The server-rendered page (templates/page.mustache): in the ready state the header (the
// candidate and the role), the chat with its starter suggestions (templates/starters.txt)
// and message box, and the documents laid out for reading (document_layout.h); in one of the seed's error states a single card saying what went wrong and
// what to do.
#ifndef RESUME_CHAT_PAGE_H_
#define RESUME_CHAT_PAGE_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace resume_chat {

struct PageModel {
  bool ready = false;         // chat enabled, documents shown
  std::string error;          // shown in #error when not empty
  std::string document_name;  // for the title
  std::string resume, jd;
  std::string session_token;  // data-session, only when ready
  int max_message_chars = 8000;
};

// What the header and the page title name: the candidate (the resume's first short line) and
// the role (the job description's), the link's name when the resume has no such line.
struct PageHeading {
  std::string candidate, role;
  std::string title;  // "candidate · role", or the candidate alone
};
constexpr size_t kMaxCandidateChars = 60;
constexpr size_t kMaxRoleChars = 90;
PageHeading page_heading(const PageModel& model);

class PageRenderer {
 public:
  // Reads templates_dir/page.mustache once (std::nullopt when it cannot be read) and the
  // optional templates_dir/starters.txt.
  static std::optional<PageRenderer> load(const std::string& templates_dir);
  explicit PageRenderer(std::string tmpl, std::vector<std::string> starters = {})
      : template_(std::move(tmpl)), starters_(std::move(starters)),
        pages_(std::make_shared<PageMemo>()) {}

  // Everything in `model` and the starters is HTML-escaped in the output; the documents are
  // laid out as paragraphs, headings and lists (document_layout.h).
  std::string render(const PageModel& model) const;

  const std::vector<std::string>& starters() const { return starters_; }

 private:
  // Recent ready pages, each rendered once and kept cut around its session token, the one
  // thing that differs between two loads of a link. Laying the documents out and rendering
  // cost ~2.2 M instructions, a page from here ~56 k (make bench), and the same few links
  // are opened again and again; keyed by everything the page shows, so an edited document
  // is rendered anew.
  struct CutPage {
    std::string before_session, after_session;
  };
  struct PageMemo {
    std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<const CutPage>> pages;  // guarded by mu
    size_t bytes = 0;                                                       // guarded by mu
  };
  std::shared_ptr<const CutPage> ready_page(const PageModel& model) const;
  std::string render_uncached(const PageModel& model) const;

  std::string template_;
  std::vector<std::string> starters_;
  std::shared_ptr<PageMemo> pages_;  // shared by copies; thread-safe
};

// The starter suggestions of a starters.txt: one per line, trimmed; blank lines and lines
// starting with '#' skipped; invalid UTF-8 lines dropped; at most kMaxStarters.
constexpr size_t kMaxStarters = 6;
std::vector<std::string> parse_starters(const std::string& text);

// What the person who opened the page should do about one of the seed's page errors.
std::string error_advice(const std::string& error);

// Text from outside shown on the page: invisible characters escaped (escape_invisible:
// \u202E), invalid UTF-8 as U+FFFD, at most `max_chars` code points, then "…".
std::string display_text(const std::string& text, size_t max_chars);

}  // namespace resume_chat

#endif  // RESUME_CHAT_PAGE_H_
