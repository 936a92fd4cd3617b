// System prompt loading (cached) and verbatim rendering.
#include "resume_chat/prompt.h"

#include <unistd.h>

#include "resume_chat/mustache.h"

namespace resume_chat {

bool PromptTemplate::exists() const { return access(path_.c_str(), R_OK) == 0; }

std::optional<std::string> PromptTemplate::render(const std::string& resume,
                                                  const std::string& jd) {
  std::string tmpl;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cached_) cached_ = read_text_file(path_);
    if (!cached_) return std::nullopt;
    tmpl = *cached_;
  }
  try {
    return render_verbatim(tmpl, mstch::map{{"resume", resume}, {"jd", jd}});
  } catch (const std::exception&) {
    return std::nullopt;  // mstch throws on malformed templates
  }
}

}  // namespace resume_chat
