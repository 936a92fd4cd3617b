// Reading a document's plain text back into paragraphs, headings and lists for the page
// (the rules are in document_layout.h).
#include "resume_chat/document_layout.h"

#include <cctype>
#include <string_view>

#include <algorithm>

#include "resume_chat/html.h"
#include "resume_chat/text.h"
#include "resume_chat/utf8.h"

namespace resume_chat {
namespace {

// A wrapped line is at most this long: longer lines are paragraphs written on one line.
constexpr size_t kMaxWrappedLine = 140;
constexpr size_t kMaxHeadingChars = 40;
constexpr size_t kMaxCapsHeadingChars = 60;
constexpr size_t kMaxHeadingWords = 6;

bool is_lower(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xFF && c != 0xF7); }
bool is_upper(char32_t c) { return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7); }
bool is_letter(char32_t c) { return is_lower(c) || is_upper(c) || c >= 0x100; }

char32_t first_code_point(std::string_view text) {
  size_t i = 0;
  return text.empty() ? 0 : next_code_point(text, i);
}

struct Line {
  std::string text;     // trimmed, whitespace runs as one space
  size_t indent = 0;    // leading spaces
  size_t chars = 0;     // code points of text
  bool bullet = false;
  bool ordered = false;
  std::string item;     // a bullet's text without its marker
};

// Bullet glyphs that need no space after them (PDFs often run them into the word).
const char* const kGlyphBullets[] = {"\xE2\x80\xA2", "\xE2\x97\x8F", "\xE2\x96\xAA", "\xE2\x97\xA6",
                                     "\xE2\x80\xA3", "\xE2\x96\xA0", "\xE2\x97\x8B", "\xE2\x9E\xA2",
                                     "\xEF\x82\xB7"};  // • ● ▪ ◦ ‣ ■ ○ ➢ and Word's Symbol bullet
// Markers that are bullets only when a space follows them.
const char* const kSpacedBullets[] = {"-", "*", "+", "\xE2\x80\x93", "\xC2\xB7"};  // - * + – ·


void read_bullet(Line& line) {
  std::string_view t = line.text;
  for (const char* glyph : kGlyphBullets) {
    if (starts_with(t, glyph) && t.size() > std::string_view(glyph).size()) {
      std::string_view rest = t.substr(std::string_view(glyph).size());
      if (rest[0] == ' ') rest.remove_prefix(1);
      line.bullet = !rest.empty();
      line.item = std::string(rest);
      return;
    }
  }
  for (const char* marker : kSpacedBullets) {
    std::string_view m(marker);
    if (starts_with(t, m) && t.size() > m.size() + 1 && t[m.size()] == ' ') {
      line.bullet = true;
      line.item = std::string(t.substr(m.size() + 1));
      return;
    }
  }
  size_t digits = 0;
  while (digits < t.size() && digits < 3 && t[digits] >= '0' && t[digits] <= '9') ++digits;
  if (digits >= 1 && digits <= 2 && t.size() > digits + 2 && (t[digits] == '.' || t[digits] == ')') &&
      t[digits + 1] == ' ') {
    line.bullet = line.ordered = true;
    line.item = std::string(t.substr(digits + 2));
  }
}

// The text as lines: UTF-8 made valid, line ends as \n, a form feed (poppler's page break)
// a blank line, tabs and other control characters as spaces.
std::vector<Line> split_lines(std::string_view raw) {
  std::string text = sanitize_utf8(raw);
  std::vector<Line> lines;
  Line line;
  bool at_start = true, space = false;
  auto end_line = [&]() {
    read_bullet(line);
    lines.push_back(std::move(line));
    line = Line{};
    at_start = true;
    space = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n' || c == '\r') {
      end_line();
      continue;
    }
    if (c == '\f') {
      end_line();
      end_line();
      continue;
    }
    bool blank = c == ' ' || (static_cast<unsigned char>(c) < 0x20) || c == 0x7F;
    if (blank) {
      if (at_start) ++line.indent;
      else space = true;
      continue;
    }
    if (space) line.text += ' ';
    space = at_start = false;
    line.text += c;
  }
  end_line();
  for (Line& l : lines) l.chars = utf8_length(l.text);
  return lines;
}

bool ends_sentence(std::string_view text) {
  return !text.empty() && std::string_view(".!?:").find(text.back()) != std::string_view::npos;
}

size_t first_word_chars(std::string_view text) {
  return utf8_length(text.substr(0, std::min(text.find(' '), text.size())));
}

bool is_caps_heading(const Line& line) {
  if (line.bullet || line.chars > kMaxCapsHeadingChars) return false;
  size_t upper = 0;
  for (size_t i = 0; i < line.text.size();) {
    char32_t c = next_code_point(line.text, i);
    if (is_lower(c)) return false;
    if (is_upper(c)) ++upper;
  }
  return upper >= 2;
}

// A short line naming a section ("About the role", "What you bring"): a few words, starting
// with a capital, no sentence punctuation, none of the marks a job or contact line has.
bool is_title_heading(const Line& line) {
  if (line.bullet || line.chars > kMaxHeadingChars || !is_upper(first_code_point(line.text))) {
    return false;
  }
  if (std::count(line.text.begin(), line.text.end(), ' ') + 1 > static_cast<long>(kMaxHeadingWords)) {
    return false;
  }
  if (line.text.find_first_of(",.;!?|()@/0123456789&+") != std::string::npos) return false;
  for (std::string_view mark : {"\xC2\xB7", "\xE2\x80\x94", "\xE2\x80\x93"}) {  // · — –
    if (line.text.find(mark) != std::string::npos) return false;
  }
  return true;
}

bool is_markdown_heading(const Line& line, std::string& text) {
  size_t hashes = line.text.find_first_not_of('#');
  if (line.indent > 3 || hashes == 0 || hashes > 6 || hashes == std::string::npos ||
      line.text[hashes] != ' ') {
    return false;
  }
  text = line.text.substr(hashes + 1);
  while (!text.empty() && text.back() == '#') text.pop_back();
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return !text.empty();
}

// A small cursor over a dates line (lowercased), for is_dates_line.
class DatesScanner {
 public:
  explicit DatesScanner(std::string text) : text_(std::move(text)) {}

  bool eat(std::string_view word) {
    if (text_.compare(at_, word.size(), word) != 0) return false;
    at_ += word.size();
    return true;
  }
  size_t digits(size_t most) {
    size_t n = 0;
    while (n < most && at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_]))) {
      ++at_;
      ++n;
    }
    return n;
  }
  // [month[letters][.] ][d{1,2}/]dddd
  bool date() {
    const size_t start = at_;
    if (month()) {
      while (at_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[at_]))) ++at_;
      eat(".");
      if (!eat(" ")) return reset(start);
    }
    const size_t before_day = at_;
    if (!(digits(2) > 0 && eat("/"))) at_ = before_day;
    const size_t year_at = at_;
    if (digits(4) != 4 || (at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_])))) {
      return reset(start);
    }
    return at_ > year_at;
  }
  bool at_end() const { return at_ == text_.size(); }
  size_t position() const { return at_; }
  bool reset(size_t to) {
    at_ = to;
    return false;
  }

 private:
  bool month() {
    for (std::string_view m : {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                               "nov", "dec"}) {
      if (eat(m)) return true;
    }
    return false;
  }

  std::string text_;
  size_t at_ = 0;
};

// "2021 – present", "June 2019 - Mar 2021", "(2018–2021)", "2016".
bool is_dates_line(const Line& line) {
  if (line.chars > 40 || line.bullet) return false;
  std::string lower = line.text;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  DatesScanner scan(lower);
  const bool parenthesis = scan.eat("(");
  if (!scan.date()) return false;
  const size_t after_first = scan.position();
  scan.eat(" ");
  if (scan.eat("-") || scan.eat("\xE2\x80\x93") || scan.eat("\xE2\x80\x94") || scan.eat("to")) {
    scan.eat(" ");
    if (!scan.date() && !scan.eat("present") && !scan.eat("current") && !scan.eat("now") &&
        !scan.eat("today")) {
      return false;
    }
  } else {
    scan.reset(after_first);
  }
  if (parenthesis) scan.eat(")");
  return scan.at_end();
}

class Layout {
 public:
  explicit Layout(std::vector<Line> lines) : lines_(std::move(lines)) { measure(); }

  std::vector<DocumentBlock> run() {
    for (size_t i = 0; i < lines_.size(); ++i) place(i);
    for (size_t i = 0; i + 1 < blocks_.size(); ++i) {
      if (blocks_[i].kind == BlockKind::kParagraph && blocks_[i + 1].kind == BlockKind::kList) {
        blocks_[i].kind = BlockKind::kLead;
      }
    }
    for (DocumentBlock& block : blocks_) {
      if (block.kind == BlockKind::kParagraph && !block.dates.empty()) block.kind = BlockKind::kLead;
    }
    return std::move(blocks_);
  }

 private:
  // The wrap width (the 90th percentile of line lengths) and whether the text is wrapped at
  // all: some line goes on, mid-sentence, in lower case on the next line.
  void measure() {
    std::vector<size_t> lengths;
    for (size_t i = 0; i < lines_.size(); ++i) {
      const Line& line = lines_[i];
      if (line.text.empty()) continue;
      lengths.push_back(line.chars);
      if (i + 1 < lines_.size() && !ends_sentence(line.text) && !lines_[i + 1].bullet &&
          is_lower(first_code_point(lines_[i + 1].text))) {
        wrapped_ = true;
      }
    }
    if (lengths.empty()) return;
    std::sort(lengths.begin(), lengths.end());
    width_ = lengths[((lengths.size() - 1) * 9 + 9) / 10];
    if (width_ > kMaxWrappedLine) wrapped_ = false;
  }

  // Whether `next` continues the line before it (lines_[i - 1], the last of an open block).
  bool continues(const Line& prev, const Line& next) const {
    if (!wrapped_ || prev.chars * 20 > width_ * 23) return false;  // prev longer than 115 %
    bool ends = ends_sentence(prev.text);
    char32_t first = first_code_point(next.text);
    if (!ends && (is_lower(first) || (first >= '0' && first <= '9'))) return true;
    bool word_did_not_fit = (prev.chars + 1 + first_word_chars(next.text)) * 5 > width_ * 4;
    return word_did_not_fit && (!ends || prev.chars * 20 >= width_ * 17);
  }

  // An item goes on in an indented line, or in a line that continues its sentence; a
  // paragraph also across a sentence end that fell at the end of a full line.
  bool continues_open(const Line& prev, const Line& line) const {
    if (list_ == kNone) return continues(prev, line);
    if (line.indent > item_indent_) return true;
    return continues(prev, line) && !ends_sentence(prev.text);
  }

  void close() {
    open_block_ = kNone;
    list_ = kNone;
  }

  bool open() const { return open_block_ != kNone; }

  // The paragraph or list item the next line may continue.
  std::string& open_text() {
    DocumentBlock& block = blocks_[open_block_];
    return block.kind == BlockKind::kList ? block.items.back() : block.text;
  }

  void append(std::string& text, const Line& line) {
    // A word hyphenated at the line end is whole again ("care-" "team": "care-team").
    if (!text.empty() && text.back() != '-') text += ' ';
    text += line.text;
  }

  void add(BlockKind kind, std::string text) {
    close();
    DocumentBlock block;
    block.kind = kind;
    block.text = std::move(text);
    blocks_.push_back(std::move(block));
  }

  bool next_is_text(size_t i) const { return i + 1 < lines_.size() && !lines_[i + 1].text.empty(); }

  void place(size_t i) {
    const Line& line = lines_[i];
    const Line* prev = i > 0 ? &lines_[i - 1] : nullptr;
    std::string heading;
    if (line.text.empty()) {
      close();
    } else if (is_markdown_heading(line, heading)) {
      add(blocks_.empty() ? BlockKind::kTitle : BlockKind::kHeading, heading);
    } else if (blocks_.empty() && !line.bullet && line.chars <= 80 &&
               !(next_is_text(i) && continues(line, lines_[i + 1]) &&
                 is_lower(first_code_point(lines_[i + 1].text)))) {
      add(BlockKind::kTitle, line.text);
    } else if (line.bullet) {
      if (list_ == kNone || blocks_[list_].ordered != line.ordered) {
        close();
        DocumentBlock list;
        list.kind = BlockKind::kList;
        list.ordered = line.ordered;
        blocks_.push_back(std::move(list));
        list_ = blocks_.size() - 1;
      }
      blocks_[list_].items.push_back(line.item);
      open_block_ = list_;
      item_indent_ = line.indent;
    } else if (open() && blocks_[open_block_].kind == BlockKind::kParagraph &&
               blocks_[open_block_].dates.empty() && is_dates_line(line)) {
      blocks_[open_block_].dates = line.text;
      close();
    } else if (is_caps_heading(line)) {
      add(BlockKind::kHeading, line.text);
    } else if (open() && prev && continues_open(*prev, line)) {
      append(open_text(), line);
    } else if (is_title_heading(line) && next_is_text(i) && !is_dates_line(lines_[i + 1])) {
      add(BlockKind::kHeading, line.text);
    } else {
      add(BlockKind::kParagraph, line.text);
      open_block_ = blocks_.size() - 1;
    }
  }

  std::vector<Line> lines_;
  std::vector<DocumentBlock> blocks_;
  size_t width_ = 0;
  bool wrapped_ = false;
  static constexpr size_t kNone = static_cast<size_t>(-1);
  size_t open_block_ = kNone;   // the block whose text (or last item) the next line may continue
  size_t list_ = kNone;         // the list a bullet joins
  size_t item_indent_ = 0;
};

}  // namespace

std::vector<DocumentBlock> layout_document(std::string_view text) {
  return Layout(split_lines(text)).run();
}

std::string document_html(const std::vector<DocumentBlock>& blocks) {
  std::string out;
  for (const DocumentBlock& block : blocks) {
    switch (block.kind) {
      case BlockKind::kTitle:
        out += "<p class=\"doc-name\">" + html_escape(block.text) + "</p>";
        break;
      case BlockKind::kHeading:
        out += "<h3>" + html_escape(block.text) + "</h3>";
        break;
      case BlockKind::kParagraph:
      case BlockKind::kLead:
        out += block.kind == BlockKind::kLead ? "<p class=\"doc-lead\">" : "<p>";
        out += html_escape(block.text);
        if (!block.dates.empty()) out += " <span class=\"doc-date\">" + html_escape(block.dates) + "</span>";
        out += "</p>";
        break;
      case BlockKind::kList:
        out += block.ordered ? "<ol>" : "<ul>";
        for (const std::string& item : block.items) out += "<li>" + html_escape(item) + "</li>";
        out += block.ordered ? "</ol>" : "</ul>";
        break;
    }
  }
  return out;
}

std::string document_title(std::string_view text, size_t max_chars) {
  for (const Line& line : split_lines(text.substr(0, 4096))) {
    if (line.text.empty()) continue;
    std::string title;
    if (!is_markdown_heading(line, title)) title = line.text;
    if (line.bullet || utf8_length(title) > max_chars) return "";
    for (size_t i = 0; i < title.size();) {
      if (is_letter(next_code_point(title, i))) return title;
    }
    return "";
  }
  return "";
}

}  // namespace resume_chat
