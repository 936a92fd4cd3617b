// Small text helpers the worker needs in several places: ASCII lower case, blank text,
// prefixes, and unsigned decimal numbers. One of each, so every caller agrees on the rules.
#ifndef RESUME_CHAT_TEXT_H_
#define RESUME_CHAT_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace resume_chat {

// A copy with A-Z turned into a-z; every other byte (UTF-8 included) unchanged.
std::string lower(std::string_view text);

// True when the text is empty or only spaces, tabs, line breaks, vertical tabs and form
// feeds (the C locale's isspace): what the Messages API refuses as "whitespace-only".
bool is_blank(std::string_view text);

bool starts_with(std::string_view text, std::string_view prefix);

// Lower-case hexadecimal, two digits a byte.
std::string to_hex(std::string_view bytes);

// 1 to `max_digits` ASCII digits and nothing else (no sign, no space, no "0x") as a number;
// std::nullopt otherwise. `max_digits` at most 18, so the value always fits.
std::optional<int64_t> parse_decimal(std::string_view digits, size_t max_digits);

}  // namespace resume_chat

#endif  // RESUME_CHAT_TEXT_H_
