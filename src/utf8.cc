// UTF-8 validation per RFC 3629 (Unicode Table 3-7 of well-formed byte sequences).
#include "resume_chat/utf8.h"

#include <cstdio>

namespace resume_chat {
namespace {

bool in(unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; }

// Length of the sequence starting at text[i], or 0 when it is malformed.
size_t sequence_length(std::string_view text, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const size_t left = text.size() - i;
  unsigned char b0 = at(0);
  if (b0 < 0x80) return 1;
  if (in(b0, 0xC2, 0xDF)) return left >= 2 && in(at(1), 0x80, 0xBF) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3) return 0;
    unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
    return in(at(1), lo, hi) && in(at(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4) return 0;
    unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return in(at(1), lo, hi) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t n = sequence_length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n = sequence_length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

size_t utf8_length(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

// Unicode names from the standard's charts; "" where the standard gives none.
InvisibleChar invisible_char(char32_t c) {
  static const struct { char32_t code; const char* name; } kNamed[] = {
      {0x00, "NULL"}, {0x07, "BELL"}, {0x08, "BACKSPACE"}, {0x09, "CHARACTER TABULATION"},
      {0x0A, "LINE FEED"}, {0x0B, "LINE TABULATION"}, {0x0C, "FORM FEED"},
      {0x0D, "CARRIAGE RETURN"}, {0x1B, "ESCAPE"}, {0x7F, "DELETE"}, {0x85, "NEXT LINE"},
      {0x9B, "CONTROL SEQUENCE INTRODUCER"}, {0xAD, "SOFT HYPHEN"},
      {0x34F, "COMBINING GRAPHEME JOINER"}, {0x61C, "ARABIC LETTER MARK"},
      {0x180E, "MONGOLIAN VOWEL SEPARATOR"}, {0x200B, "ZERO WIDTH SPACE"},
      {0x200C, "ZERO WIDTH NON-JOINER"}, {0x200D, "ZERO WIDTH JOINER"},
      {0x200E, "LEFT-TO-RIGHT MARK"}, {0x200F, "RIGHT-TO-LEFT MARK"},
      {0x2028, "LINE SEPARATOR"}, {0x2029, "PARAGRAPH SEPARATOR"},
      {0x202A, "LEFT-TO-RIGHT EMBEDDING"}, {0x202B, "RIGHT-TO-LEFT EMBEDDING"},
      {0x202C, "POP DIRECTIONAL FORMATTING"}, {0x202D, "LEFT-TO-RIGHT OVERRIDE"},
      {0x202E, "RIGHT-TO-LEFT OVERRIDE"}, {0x2060, "WORD JOINER"},
      {0x2066, "LEFT-TO-RIGHT ISOLATE"}, {0x2067, "RIGHT-TO-LEFT ISOLATE"},
      {0x2068, "FIRST STRONG ISOLATE"}, {0x2069, "POP DIRECTIONAL ISOLATE"},
      {0xFEFF, "ZERO WIDTH NO-BREAK SPACE"},
  };
  const char* name = "";
  for (const auto& named : kNamed) {
    if (named.code == c) name = named.name;
  }
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return {"a control character", name};
  if (c == 0x61C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
      (c >= 0x2066 && c <= 0x2069)) {
    return {"a bidi control", name};
  }
  if ((c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF || c == 0x180E || c == 0x34F) {
    return {"a zero-width character", name};
  }
  if (c == 0xAD || c == 0x2028 || c == 0x2029 || (c >= 0x2061 && c <= 0x2064) ||
      (c >= 0x206A && c <= 0x206F) || (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0xE0000 && c <= 0xE007F)) {
    return {"an invisible character", name};
  }
  return {};
}

std::string escape_invisible(std::string_view text) {
  const std::string valid = sanitize_utf8(text);
  std::string out;
  for (size_t i = 0; i < valid.size();) {
    const size_t start = i;
    const char32_t c = next_code_point(valid, i);
    if (c != '\n' && c != '\t' && *invisible_char(c).kind != '\0') {
      char escaped[16];
      std::snprintf(escaped, sizeof escaped, "\\u%04X", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out.append(valid, start, i - start);
    }
  }
  return out;
}

}  // namespace resume_chat
