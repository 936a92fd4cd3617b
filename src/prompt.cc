// System prompt loading (cached) and verbatim rendering.
#include "resume_chat/prompt.h"

#include <unistd.h>

#include "resume_chat/mustache.h"
#include "resume_chat/text.h"

namespace resume_chat {
namespace {

std::string file_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

bool climbs(const std::string& path) {
  return path == ".." || starts_with(path, "../") || path.find("/../") != std::string::npos ||
         (path.size() >= 3 && path.compare(path.size() - 3, 3, "/..") == 0);
}

std::string working_directory() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) != nullptr ? buf : "";
}

}  // namespace

std::string public_template_path(const std::string& path, const std::string& working_dir) {
  if (path.empty() || path.front() != '/') return climbs(path) ? file_name(path) : path;
  std::string base = working_dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (base.size() > 1 && path.size() > base.size() + 1 && starts_with(path, base) &&
      path[base.size()] == '/') {
    std::string relative = path.substr(base.size() + 1);
    if (!climbs(relative)) return relative;
  }
  return file_name(path);
}

PromptTemplate::PromptTemplate(std::string path)
    : path_(std::move(path)), public_path_(public_template_path(path_, working_directory())) {}

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
