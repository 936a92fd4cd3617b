// mstch escape policy and render helpers; see mustache.h for why the policy is global.
#include "resume_chat/mustache.h"

#include <fstream>
#include <sstream>

#include "resume_chat/html.h"

namespace resume_chat {
namespace {

thread_local bool t_verbatim = false;

class VerbatimScope {
 public:
  VerbatimScope() { t_verbatim = true; }
  ~VerbatimScope() { t_verbatim = false; }
  VerbatimScope(const VerbatimScope&) = delete;
  VerbatimScope& operator=(const VerbatimScope&) = delete;
};

}  // namespace

void install_escape_policy() {
  mstch::config::escape = [](const std::string& text) {
    return t_verbatim ? text : html_escape(text);
  };
}

std::string render_html(const std::string& tmpl, const mstch::map& context) {
  return mstch::render(tmpl, context);
}

std::string render_verbatim(const std::string& tmpl, const mstch::map& context) {
  VerbatimScope verbatim;
  return mstch::render(tmpl, context);
}

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return std::nullopt;
  return text.str();
}

}  // namespace resume_chat
