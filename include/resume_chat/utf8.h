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

// The code point at text[i] of valid UTF-8, moving `i` past it. Inline: the readers
// library (reader_limits.h) decodes with it too and links nothing of the worker's.
inline char32_t next_code_point(std::string_view text, size_t& i) {
  auto byte = [&](size_t k) -> char32_t {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) & 0x3Fu : 0u;
  };
  const char32_t b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    i += 1;
    return b0;
  }
  char32_t c;
  size_t length;
  if (b0 < 0xE0) {
    c = ((b0 & 0x1Fu) << 6) | byte(1);
    length = 2;
  } else if (b0 < 0xF0) {
    c = ((b0 & 0x0Fu) << 12) | (byte(1) << 6) | byte(2);
    length = 3;
  } else {
    c = ((b0 & 0x07u) << 18) | (byte(1) << 12) | (byte(2) << 6) | byte(3);
    length = 4;
  }
  i += length;
  return c;
}

// A character that hides or reorders what a person reads: a control (C0, C1), a bidi
// control, a zero-width or another invisible one. `kind` "" for any other character;
// `name` its Unicode name where known ("" else).
struct InvisibleChar {
  const char* kind = "";
  const char* name = "";
};
InvisibleChar invisible_char(char32_t c);

// Every invisible_char but newline and tab as a visible escape (\u001B, \u202E); invalid
// UTF-8 as U+FFFD. For text shown to a person who must see what is really there:
// transcripts, and names another application stored (what `documents put` refuses).
std::string escape_invisible(std::string_view text);

}  // namespace resume_chat

#endif  // RESUME_CHAT_UTF8_H_
