// The seed's prompt loader: the system prompt template, read once and cached, rendered
// with {resume, jd} verbatim (the prompt is not HTML, so nothing is escaped).
#ifndef RESUME_CHAT_PROMPT_H_
#define RESUME_CHAT_PROMPT_H_

#include <mutex>
#include <optional>
#include <string>

namespace resume_chat {

class PromptTemplate {
 public:
  explicit PromptTemplate(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  // True when the file exists and is readable now (the startup check).
  bool exists() const;

  // The rendered prompt, or std::nullopt when the template cannot be read or rendered.
  // The file is read on first use and cached; a failed read is retried on the next call.
  std::optional<std::string> render(const std::string& resume, const std::string& jd);

 private:
  const std::string path_;
  std::mutex mu_;
  std::optional<std::string> cached_;  // guarded by mu_
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_PROMPT_H_
