// .env files: parsing like python-dotenv, and loading into the process environment
// without overriding what is already set (the environment wins).
#ifndef RESUME_CHAT_DOTENV_H_
#define RESUME_CHAT_DOTENV_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace resume_chat {

using DotenvEntries = std::vector<std::pair<std::string, std::string>>;

// Parses .env text. Handles blank lines, `#` comments, an `export ` prefix, spaces around
// `=`, single quotes (literal), double quotes (with \n \t \" \\ escapes, may span lines)
// and unquoted values (an inline comment starts at whitespace followed by `#`).
// Lines that are not assignments are skipped, as python-dotenv does.
DotenvEntries parse_dotenv(std::string_view text);

// Reads `path` and sets each entry that is not already in the environment. A missing
// file is not an error (returns true); an unreadable one returns false.
bool load_dotenv_file(const std::string& path);

}  // namespace resume_chat

#endif  // RESUME_CHAT_DOTENV_H_
