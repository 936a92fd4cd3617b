// HTML escaping for text placed in element content and attribute values.
#ifndef RESUME_CHAT_HTML_H_
#define RESUME_CHAT_HTML_H_

#include <string>
#include <string_view>

namespace resume_chat {

// Escapes & < > " ' so the text reads literally in content and in quoted attributes.
std::string html_escape(std::string_view text);

}  // namespace resume_chat

#endif  // RESUME_CHAT_HTML_H_
