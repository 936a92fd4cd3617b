// The user-facing error texts. The seed spec fixes these words; tests compare them exactly.
#ifndef RESUME_CHAT_USER_TEXTS_H_
#define RESUME_CHAT_USER_TEXTS_H_

#include <string>

namespace resume_chat {

inline const std::string kErrorMissingQ = "Error: 'q' parameter must be specified in the URL";
inline const std::string kErrorDatabase =
    "Error: Unable to connect to database. Please check configuration.";
inline const std::string kErrorClaudeApi =
    "Error: Unable to connect to Claude API. Please check API key.";

inline std::string error_not_found(const std::string& q) {
  return "Error: No document found with name '" + q + "'";
}

inline std::string error_template_missing(const std::string& path) {
  return "Error: System prompt template not found at " + path;
}

// The chat's own texts (not the seed's).
inline const std::string kErrorSessionStreaming =
    "Error: A reply is still streaming in this chat. Wait or stop it.";
inline const std::string kErrorReplyNotSaved =
    "Error: The reply could not be saved. " + kErrorDatabase;

}  // namespace resume_chat

#endif  // RESUME_CHAT_USER_TEXTS_H_
