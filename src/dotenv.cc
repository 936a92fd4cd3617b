// .env parsing and loading; see dotenv.h for the accepted syntax.
#include "resume_chat/dotenv.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace resume_chat {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool is_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-';
}

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  char take() { return text_[pos_++]; }
  void skip_spaces() { while (!done() && is_space(peek())) ++pos_; }
  void skip_line() {
    while (!done() && take() != '\n') {}
  }
  bool consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

char unescape(char c) {
  switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case '0': return '\0';
    default: return c;
  }
}

// Returns false when the closing quote is missing: python-dotenv then skips the entry.
bool read_quoted(Cursor& in, char quote, std::string& out) {
  while (!in.done()) {
    char c = in.take();
    if (c == quote) return true;
    if (c == '\\' && !in.done()) {
      char next = in.take();
      if (quote == '"') {
        out += unescape(next);
      } else if (next == '\'' || next == '\\') {
        out += next;
      } else {
        out += '\\';
        out += next;
      }
      continue;
    }
    out += c;
  }
  return false;
}

std::string read_unquoted(Cursor& in) {
  std::string out;
  while (!in.done() && in.peek() != '\n') {
    char c = in.take();
    if (c == '#' && (out.empty() || is_space(out.back()))) {
      in.skip_line();
      break;
    }
    out += c;
  }
  while (!out.empty() && (is_space(out.back()) || out.back() == '\r')) out.pop_back();
  return out;
}

// Parses one line (or a multi-line quoted value). Returns false if it is no assignment.
bool parse_entry(Cursor& in, std::string& key, std::string& value) {
  in.skip_spaces();
  if (in.consume("export")) {
    if (!is_space(in.peek())) return false;
    in.skip_spaces();
  }
  while (!in.done() && is_key_char(in.peek())) key += in.take();
  if (key.empty()) return false;
  in.skip_spaces();
  if (in.peek() != '=') return false;
  in.take();
  in.skip_spaces();
  char quote = in.peek();
  if (quote == '"' || quote == '\'') {
    in.take();
    if (!read_quoted(in, quote, value)) return false;
    in.skip_line();  // anything after the closing quote, e.g. a comment
    return true;
  }
  value = read_unquoted(in);
  return true;
}

}  // namespace

DotenvEntries parse_dotenv(std::string_view text) {
  DotenvEntries entries;
  Cursor in(text);
  while (!in.done()) {
    size_t start = in.pos();
    std::string key, value;
    if (parse_entry(in, key, value)) {
      entries.emplace_back(std::move(key), std::move(value));
      if (in.pos() > start && in.pos() <= in.text().size() &&
          in.text()[in.pos() - 1] != '\n') {
        in.skip_line();
      }
    } else {
      in.set_pos(start);
      in.skip_line();
    }
  }
  return entries;
}

bool load_dotenv_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return errno == ENOENT;
  std::ostringstream text;
  text << file.rdbuf();
  for (const auto& [key, value] : parse_dotenv(text.str())) {
    setenv(key.c_str(), value.c_str(), /*overwrite=*/0);
  }
  return true;
}

}  // namespace resume_chat
