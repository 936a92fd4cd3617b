// UTF-8 validation for text that crosses a trust boundary (URLs, request bodies).
#ifndef RESUME_CHAT_UTF8_H_
#define RESUME_CHAT_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace resume_chat {

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Number of code points in valid UTF-8 text (what a user counts as characters).
size_t utf8_length(std::string_view text);

// `text` with each ill-formed sequence replaced by U+FFFD: text from a library that does
// not promise UTF-8 (a PDF's text layer) becomes storable and displayable.
std::string sanitize_utf8(std::string_view text);

// Control characters (but newline and tab), bidi controls and zero-width characters as
// visible escapes (\u001B, \u202E); invalid UTF-8 as U+FFFD. For text shown to a person
// who must see what is really there: transcripts, and names another application stored.
std::string escape_invisible(std::string_view text);

}  // namespace resume_chat

#endif  // RESUME_CHAT_UTF8_H_
