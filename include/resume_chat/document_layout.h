// How a document's plain text is laid out on the page: the text of a documents row (put by
// `documents put` from a PDF, a DOCX or a text file, or written by another application)
// read back into blocks a reader expects: soft-wrapped lines joined into paragraphs,
// headings, lists, a title line, a role line with its dates. The rules (docs/page.md):
//   - a line break is kept only before a bullet, a heading, a blank line, or where the text
//     is not wrapped at all (one line per paragraph, as a DOCX gives); lines of a wrapped
//     text are joined when the next line continues the sentence (it starts in lower case)
//     or its first word would not have fitted on the line before;
//   - headings: Markdown `#` lines, short all-caps lines (SKILLS), short title lines that
//     introduce a section (About the role);
//   - bullets (- * • ● ▪ ◦ – and 1. 2) a.) become list items; an indented or wrapped line
//     after a bullet continues its item;
//   - a line holding only dates (2021 – present) stays with the line before it.
// Nothing is dropped: every word of the text appears in the blocks, in order, so a quote of
// the stored text still matches the page (whitespace aside).
#ifndef RESUME_CHAT_DOCUMENT_LAYOUT_H_
#define RESUME_CHAT_DOCUMENT_LAYOUT_H_

#include <string>
#include <string_view>
#include <vector>

namespace resume_chat {

enum class BlockKind {
  kTitle,      // the first line, when it is a short one: the candidate's name, the role
  kHeading,
  kParagraph,
  kLead,       // a paragraph that introduces the list after it (a job's line)
  kList,
};

struct DocumentBlock {
  BlockKind kind = BlockKind::kParagraph;
  std::string text;                 // everything but kList
  std::string dates;                // kLead/kParagraph: a date line that followed it
  bool ordered = false;             // kList: numbered items
  std::vector<std::string> items;   // kList
};

// The blocks of a document's text (any bytes: invalid UTF-8 becomes U+FFFD, control
// characters spaces).
std::vector<DocumentBlock> layout_document(std::string_view text);

// The blocks as HTML, every piece of text escaped: <p class="doc-name">, <h3>, <p>,
// <p class="doc-lead"> (with <span class="doc-date">), <ul>/<ol> of <li>.
std::string document_html(const std::vector<DocumentBlock>& blocks);

// The first line of a document when it is short enough to name it (the candidate of a
// resume, the role of a job description), without Markdown heading marks; "" otherwise.
std::string document_title(std::string_view text, size_t max_chars = 80);

}  // namespace resume_chat

#endif  // RESUME_CHAT_DOCUMENT_LAYOUT_H_
