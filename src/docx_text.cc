// DOCX text: libzip opens the archive in memory, pugixml reads its XML parts. Every libzip
// handle has an RAII owner; entries are read with a size cap whatever the zip claims.
#include "resume_chat/docx_text.h"

#include <zip.h>

#include <memory>
#include <pugixml.hpp>
#include <utility>
#include <vector>

namespace resume_chat {
namespace {

struct ZipDiscard {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;

struct ZipFileClose {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};
using ZipFilePtr = std::unique_ptr<zip_file_t, ZipFileClose>;

class ZipError {
 public:
  ZipError() { zip_error_init(&error_); }
  ~ZipError() { zip_error_fini(&error_); }
  ZipError(const ZipError&) = delete;
  ZipError& operator=(const ZipError&) = delete;
  zip_error_t* get() { return &error_; }

 private:
  zip_error_t error_;
};

ZipPtr open_zip(std::string_view bytes) {
  ZipError error;
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, error.get());
  if (source == nullptr) return nullptr;
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, error.get());
  if (archive == nullptr) zip_source_free(source);  // else the archive owns it
  return ZipPtr(archive);
}

// The entry's bytes, or nullopt when it is missing, unreadable or larger than `limit`
// (whatever size the archive's directory claims).
std::optional<std::string> read_entry(zip_t* archive, const std::string& name, size_t limit) {
  zip_int64_t index = zip_name_locate(archive, name.c_str(), ZIP_FL_NOCASE);
  if (index < 0) return std::nullopt;
  ZipFilePtr file(zip_fopen_index(archive, static_cast<zip_uint64_t>(index), 0));
  if (!file) return std::nullopt;
  std::string data;
  char buffer[65536];
  for (;;) {
    zip_int64_t n = zip_fread(file.get(), buffer, sizeof(buffer));
    if (n < 0) return std::nullopt;
    if (n == 0) return data;
    if (data.size() + static_cast<size_t>(n) > limit) return std::nullopt;
    data.append(buffer, static_cast<size_t>(n));
  }
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string_view local_name(const pugi::xml_node& node) {
  std::string_view name = node.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Word writes the prefix "w:", but any prefix may name the namespace: match local names.
pugi::xml_node child_named(const pugi::xml_node& node, std::string_view local) {
  for (pugi::xml_node child : node.children()) {
    if (local_name(child) == local) return child;
  }
  return {};
}

std::string_view value_of(const pugi::xml_node& node) {
  for (pugi::xml_attribute attribute : node.attributes()) {
    std::string_view name = attribute.name();
    if (name == "val" || (name.size() > 4 && name.substr(name.size() - 4) == ":val")) {
      return attribute.value();
    }
  }
  return "";
}

// What [Content_Types].xml says the package is: the Word main part's name, or what it is.
struct PackageKind {
  std::string main_part;  // without the leading '/'
  std::string other;      // when not Word
};

PackageKind package_kind(const std::string& content_types) {
  pugi::xml_document xml;
  if (!xml.load_buffer(content_types.data(), content_types.size())) return {"", "a damaged Office file"};
  std::string other = "a ZIP archive, not a Word document";
  for (pugi::xml_node node : xml.document_element().children()) {
    if (local_name(node) != "Override") continue;
    std::string_view type = node.attribute("ContentType").value();
    std::string_view part = node.attribute("PartName").value();
    if (ends_with(type, ".main+xml") && (contains(type, "wordprocessingml") ||
                                         contains(type, "ms-word.document") ||
                                         contains(type, "ms-word.template"))) {
      return {std::string(part.substr(part.rfind('/', 0) == 0 ? 1 : 0)), ""};
    }
    if (contains(type, "spreadsheetml")) other = "a spreadsheet (XLSX), not a Word document";
    if (contains(type, "presentationml")) other = "a presentation (PPTX), not a Word document";
  }
  return {"", other};
}

std::string describe_other_zip(zip_t* archive) {
  auto mimetype = read_entry(archive, "mimetype", 256);
  if (mimetype && contains(*mimetype, "opendocument.text")) {
    return "an OpenDocument text (ODT): save it as DOCX or PDF";
  }
  if (mimetype && contains(*mimetype, "opendocument")) return "an OpenDocument file, not a Word document";
  return "a ZIP archive, not a Word document";
}

// Builds the text while walking the main part: one line per paragraph.
class ParagraphWriter {
 public:
  void begin_paragraph(const pugi::xml_node& paragraph) {
    // A paragraph inside one (a text box) is a line of its own after the outer text.
    if (open_ && !line_.empty()) end_paragraph();
    open_ = true;
    line_.clear();
    pugi::xml_node numbering = child_named(child_named(paragraph, "pPr"), "numPr");
    if (numbering && value_of(child_named(numbering, "numId")) != "0") {
      std::string_view level = value_of(child_named(numbering, "ilvl"));
      int depth = level.size() == 1 && level[0] >= '0' && level[0] <= '8' ? level[0] - '0' : 0;
      line_.assign(static_cast<size_t>(depth) * 2, ' ');
      line_ += "- ";
    }
  }
  void end_paragraph() {
    if (!open_) return;
    out_ += line_;
    out_ += '\n';
    line_.clear();
    open_ = false;
  }
  void text(std::string_view text) { line_ += text; }
  std::string finish() {
    end_paragraph();
    return std::move(out_);
  }

 private:
  std::string out_, line_;
  bool open_ = false;
};

// Subtrees that hold no reading text: properties, a second copy of a text box for old
// readers, deleted revisions.
bool skipped(std::string_view name) {
  return name == "Fallback" || name == "pPr" || name == "rPr" || name == "del" ||
         name == "sectPr" || name == "instrText" || name == "delText";
}

void visit(const pugi::xml_node& node, ParagraphWriter& writer) {
  std::string_view name = local_name(node);
  if (name == "t") {
    writer.text(node.child_value());
  } else if (name == "tab") {
    writer.text("\t");
  } else if (name == "br" || name == "cr") {
    writer.text("\n");
  } else if (name == "noBreakHyphen") {
    writer.text("-");
  } else if (name == "p") {
    writer.begin_paragraph(node);
  }
}

// Depth-first in document order, with an explicit stack: hostile nesting cannot exhaust
// the call stack.
std::string walk(const pugi::xml_node& root) {
  ParagraphWriter writer;
  std::vector<std::pair<pugi::xml_node, bool>> stack{{root, false}};
  while (!stack.empty()) {
    auto [node, entered] = stack.back();
    stack.pop_back();
    if (entered) {
      if (local_name(node) == "p") writer.end_paragraph();
      continue;
    }
    if (node.type() != pugi::node_element || skipped(local_name(node))) continue;
    visit(node, writer);
    stack.push_back({node, true});
    std::vector<pugi::xml_node> children;
    for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
      children.push_back(child);
    }
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back({*it, false});
  }
  return writer.finish();
}

}  // namespace

std::optional<std::string> docx_paragraphs(std::string_view document_xml) {
  pugi::xml_document xml;
  // ws_pcdata: <w:t xml:space="preserve"> </w:t> is a real space between words.
  if (!xml.load_buffer(document_xml.data(), document_xml.size(),
                       pugi::parse_default | pugi::parse_ws_pcdata)) {
    return std::nullopt;
  }
  pugi::xml_node body = child_named(xml.document_element(), "body");
  return walk(body ? body : xml.document_element());
}

DocxText docx_text(std::string_view zip_bytes) {
  ZipPtr archive = open_zip(zip_bytes);
  if (!archive) return {DocxStatus::kCorrupt, "", ""};
  auto content_types = read_entry(archive.get(), "[Content_Types].xml", 1024 * 1024);
  if (!content_types) return {DocxStatus::kNotWord, "", describe_other_zip(archive.get())};
  PackageKind kind = package_kind(*content_types);
  if (kind.main_part.empty()) return {DocxStatus::kNotWord, "", kind.other};
  auto part = read_entry(archive.get(), kind.main_part, kMaxDocxPartBytes);
  if (!part) return {DocxStatus::kCorrupt, "", ""};
  auto text = docx_paragraphs(*part);
  if (!text) return {DocxStatus::kCorrupt, "", ""};
  return {DocxStatus::kOk, std::move(*text), ""};
}

}  // namespace resume_chat
