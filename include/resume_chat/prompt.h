// The seed's prompt loader: the system prompt template, read once and cached, rendered
// with {resume, jd} verbatim (the prompt is not HTML, so nothing is escaped).
#ifndef RESUME_CHAT_PROMPT_H_
#define RESUME_CHAT_PROMPT_H_

#include <mutex>
#include <optional>
#include <string>

namespace resume_chat {

// The template's path as pages may show it: as configured when relative (the seed's
// "prompts/chat_system.mustache"), relative to `working_dir` when it lies under it, else
// only its file name. A visitor learns nothing of the server's directories; the log keeps
// the full path.
std::string public_template_path(const std::string& path, const std::string& working_dir);

class PromptTemplate {
 public:
  // `path` as configured (PROMPT_TEMPLATE), relative to the working directory or absolute.
  explicit PromptTemplate(std::string path);

  const std::string& path() const { return path_; }           // for the log and stderr
  const std::string& public_path() const { return public_path_; }  // for pages and events

  // True when the file exists and is readable now (the startup check).
  bool exists() const;

  // The rendered prompt, or std::nullopt when the template cannot be read or rendered.
  // The file is read on first use and cached; a failed read is retried on the next call.
  std::optional<std::string> render(const std::string& resume, const std::string& jd);

 private:
  const std::string path_;
  const std::string public_path_;
  std::mutex mu_;
  std::optional<std::string> cached_;  // guarded by mu_
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_PROMPT_H_
