// DOCX text: libzip opens the archive in memory, expat reads its XML parts as they are
// inflated. Every libzip and expat handle has an RAII owner; entries are read with a size
// cap whatever the zip claims.
#include "resume_chat/docx_text.h"

#include <expat.h>
#include <zip.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

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

std::string_view local_name(const XML_Char* name) {
  std::string_view full(name);
  size_t colon = full.find(':');
  return colon == std::string_view::npos ? full : full.substr(colon + 1);
}

// The value of attribute `wanted` (by local name, any prefix) among expat's name/value pairs.
std::string_view attribute(const XML_Char** attributes, std::string_view wanted) {
  for (size_t i = 0; attributes[i] != nullptr; i += 2) {
    if (local_name(attributes[i]) == wanted) return attributes[i + 1];
  }
  return "";
}

struct ParserFree {
  void operator()(XML_Parser parser) const { XML_ParserFree(parser); }
};
using ParserPtr = std::unique_ptr<std::remove_pointer_t<XML_Parser>, ParserFree>;

// An expat parser fed chunk by chunk, calling the subclass per element and text. Refuses a
// DOCTYPE (so no entity can be defined) and says where the XML went wrong.
class XmlWalk {
 public:
  XmlWalk() : parser_(XML_ParserCreate(nullptr)) {
    if (!parser_) return;
    XML_SetUserData(parser_.get(), this);
    XML_SetElementHandler(parser_.get(), &XmlWalk::on_start, &XmlWalk::on_end);
    XML_SetCharacterDataHandler(parser_.get(), &XmlWalk::on_text);
    XML_SetStartDoctypeDeclHandler(parser_.get(), &XmlWalk::on_doctype);
  }
  virtual ~XmlWalk() = default;
  XmlWalk(const XmlWalk&) = delete;
  XmlWalk& operator=(const XmlWalk&) = delete;

  // False once the XML is invalid or the walk stopped itself (see stopped()).
  bool feed(std::string_view chunk, bool final) {
    if (!parser_ || failed_) return false;
    do {
      int size = static_cast<int>(std::min<size_t>(chunk.size(), 1u << 20));
      bool last = final && static_cast<size_t>(size) == chunk.size();
      if (XML_Parse(parser_.get(), chunk.data(), size, last ? XML_TRUE : XML_FALSE) != XML_STATUS_OK) {
        failed_ = true;
        if (error_.empty() && !stopped_) error_ = describe_error();
        return false;
      }
      chunk.remove_prefix(static_cast<size_t>(size));
    } while (!chunk.empty());
    return true;
  }
  bool stopped() const { return stopped_; }
  // What is wrong with the XML and where, e.g. "an undeclared entity &nbsp; at line 2, column 7".
  const std::string& error() const { return error_; }

 protected:
  virtual void start(std::string_view local, const XML_Char** attributes) = 0;
  virtual void end(std::string_view local) = 0;
  virtual void text(std::string_view) {}
  // Ends the walk early: feed() then returns false with stopped() true.
  void stop() {
    stopped_ = true;
    XML_StopParser(parser_.get(), XML_FALSE);
  }

 private:
  static void on_start(void* self, const XML_Char* name, const XML_Char** attributes) {
    static_cast<XmlWalk*>(self)->start(local_name(name), attributes);
  }
  static void on_end(void* self, const XML_Char* name) {
    static_cast<XmlWalk*>(self)->end(local_name(name));
  }
  static void on_text(void* self, const XML_Char* text, int length) {
    static_cast<XmlWalk*>(self)->text(std::string_view(text, static_cast<size_t>(length)));
  }
  static void on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    auto* walk = static_cast<XmlWalk*>(self);
    walk->error_ = "a DOCTYPE (entity definitions) " + walk->where();
    XML_StopParser(walk->parser_.get(), XML_FALSE);
  }

  std::string where() const {
    return "at line " + std::to_string(XML_GetCurrentLineNumber(parser_.get())) + ", column " +
           std::to_string(XML_GetCurrentColumnNumber(parser_.get()) + 1);
  }

  // The token expat stopped on, printable ASCII only, e.g. "&nbsp;".
  std::string token() const {
    int offset = 0, size = 0;
    const char* context = XML_GetInputContext(parser_.get(), &offset, &size);
    std::string out;
    for (int i = offset; context != nullptr && i < size && out.size() < 24; ++i) {
      char c = context[i];
      if (c < 0x21 || c > 0x7E) break;
      out += c;
      if (c == ';') return out;
    }
    return "";
  }

  std::string describe_error() const {
    XML_Error code = XML_GetErrorCode(parser_.get());
    std::string what;
    if (code == XML_ERROR_UNDEFINED_ENTITY) {
      std::string name = token();
      what = "an undeclared entity" + (name.empty() ? "" : " " + name);
    } else if (code == XML_ERROR_BAD_CHAR_REF) {
      std::string ref = token();
      what = (ref.empty() ? "" : ref + " ") + "(a character reference XML does not allow)";
    } else {
      what = std::string("invalid XML (") + XML_ErrorString(code) + ")";
    }
    return what + " " + where();
  }

  ParserPtr parser_;
  bool failed_ = false, stopped_ = false;
  std::string error_;
};

// What [Content_Types].xml says the package is: the Word main part's name, or what it is.
struct PackageKind {
  std::string main_part;  // without the leading '/'
  std::string other;      // when not Word
};

class ContentTypes : public XmlWalk {
 public:
  PackageKind kind;

 protected:
  void start(std::string_view local, const XML_Char** attributes) override {
    if (++depth_ != 2 || local != "Override" || !kind.main_part.empty()) return;
    std::string_view type = attribute(attributes, "ContentType");
    std::string_view part = attribute(attributes, "PartName");
    if (ends_with(type, ".main+xml") && (contains(type, "wordprocessingml") ||
                                         contains(type, "ms-word.document") ||
                                         contains(type, "ms-word.template"))) {
      kind.main_part = std::string(part.substr(part.rfind('/', 0) == 0 ? 1 : 0));
    }
    if (contains(type, "spreadsheetml")) kind.other = "a spreadsheet (XLSX), not a Word document";
    if (contains(type, "presentationml")) kind.other = "a presentation (PPTX), not a Word document";
  }
  void end(std::string_view) override { --depth_; }

 private:
  int depth_ = 0;
};

PackageKind package_kind(const std::string& content_types) {
  ContentTypes walk;
  walk.kind.other = "a ZIP archive, not a Word document";
  if (!walk.feed(content_types, true)) return {"", "a damaged Office file"};
  if (!walk.kind.main_part.empty()) walk.kind.other.clear();
  return walk.kind;
}

std::string describe_other_zip(zip_t* archive) {
  auto mimetype = read_entry(archive, "mimetype", 256);
  if (mimetype && contains(*mimetype, "opendocument.text")) {
    return "an OpenDocument text (ODT): save it as DOCX or PDF";
  }
  if (mimetype && contains(*mimetype, "opendocument")) return "an OpenDocument file, not a Word document";
  return "a ZIP archive, not a Word document";
}

// Subtrees that hold no reading text: properties, a second copy of a text box for old
// readers, deleted revisions.
bool skipped(std::string_view name) {
  return name == "Fallback" || name == "rPr" || name == "del" || name == "sectPr" ||
         name == "instrText" || name == "delText";
}

// The main part's paragraphs, one line each, as expat walks it: subtrees left out are
// counted in `skip_depth_`, a paragraph's properties (its list numbering) in `ppr_depth_`.
class Paragraphs : public XmlWalk {
 public:
  explicit Paragraphs(size_t max_visible_chars) : max_visible_chars_(max_visible_chars) {}
  bool too_much_text() const { return too_much_text_; }
  std::string finish() {
    end_paragraph();
    return std::move(out_);
  }

 protected:
  void start(std::string_view name, const XML_Char** attributes) override {
    if (skip_depth_ > 0 || skipped(name)) {
      ++skip_depth_;
    } else if (ppr_depth_ > 0 || name == "pPr") {
      ++ppr_depth_;
      numbering(name, attributes);
    } else if (name == "t") {
      ++t_depth_;
    } else if (name == "tab") {
      add("\t");
    } else if (name == "br" || name == "cr") {
      add("\n");
    } else if (name == "noBreakHyphen") {
      add("-");
    } else if (name == "p") {
      begin_paragraph();
    }
  }

  void end(std::string_view name) override {
    if (skip_depth_ > 0) {
      --skip_depth_;
    } else if (ppr_depth_ > 0) {
      if (--ppr_depth_ == 0) mark_list_item();
    } else if (name == "t") {
      --t_depth_;
    } else if (name == "p") {
      end_paragraph();
    }
  }

  void text(std::string_view text) override {
    if (skip_depth_ == 0 && ppr_depth_ == 0 && t_depth_ > 0) add(text);
  }

 private:
  void numbering(std::string_view name, const XML_Char** attributes) {
    if (name == "numPr") numbered_ = true;
    if (name == "numId") num_id_ = attribute(attributes, "val");
    if (name == "ilvl") level_ = attribute(attributes, "val");
  }

  // A paragraph whose properties number it (numId 0 removes numbering) starts "- ",
  // indented two spaces a level.
  void mark_list_item() {
    if (!numbered_ || num_id_ == "0") return;
    int depth = level_.size() == 1 && level_[0] >= '0' && level_[0] <= '8' ? level_[0] - '0' : 0;
    line_.insert(0, std::string(static_cast<size_t>(depth) * 2, ' ') + "- ");
    numbered_ = false;
  }

  void begin_paragraph() {
    // A paragraph inside one (a text box) is a line of its own after the outer text.
    if (open_ && !line_.empty()) end_paragraph();
    open_ = true;
    line_.clear();
    numbered_ = false;
    num_id_.clear();
    level_.clear();
  }

  void end_paragraph() {
    if (!open_) return;
    out_ += line_;
    out_ += '\n';
    line_.clear();
    open_ = false;
  }

  void add(std::string_view text) {
    line_ += text;
    visible_ += visible_chars(text);
    if (visible_ > max_visible_chars_ && !too_much_text_) {
      too_much_text_ = true;
      stop();
    }
  }

  const size_t max_visible_chars_;
  size_t visible_ = 0;
  bool too_much_text_ = false;
  int skip_depth_ = 0, ppr_depth_ = 0, t_depth_ = 0;
  bool numbered_ = false;
  std::string num_id_, level_;
  std::string out_, line_;
  bool open_ = false;
};

DocxText walk_result(Paragraphs& walk, bool parsed) {
  if (walk.too_much_text()) return {DocxStatus::kTooMuchText, "", ""};
  if (!parsed) return {DocxStatus::kInvalidXml, "", walk.error()};
  return {DocxStatus::kOk, walk.finish(), ""};
}

enum class EntryRead { kDone, kMissing, kUnreadable, kTooLarge, kRefused };

// Inflates entry `name` a chunk at a time into `sink` (which says false to stop), stopping
// once more than `limit` bytes came out, whatever the archive's directory claims.
EntryRead stream_entry(zip_t* archive, const std::string& name, size_t limit,
                       const std::function<bool(std::string_view, bool)>& sink) {
  zip_int64_t index = zip_name_locate(archive, name.c_str(), ZIP_FL_NOCASE);
  if (index < 0) return EntryRead::kMissing;
  ZipFilePtr file(zip_fopen_index(archive, static_cast<zip_uint64_t>(index), 0));
  if (!file) return EntryRead::kUnreadable;
  char buffer[65536];
  size_t total = 0;
  for (;;) {
    zip_int64_t n = zip_fread(file.get(), buffer, sizeof(buffer));
    if (n < 0) return EntryRead::kUnreadable;
    total += static_cast<size_t>(n);
    if (total > limit) return EntryRead::kTooLarge;
    if (!sink(std::string_view(buffer, static_cast<size_t>(n)), n == 0)) return EntryRead::kRefused;
    if (n == 0) return EntryRead::kDone;
  }
}

}  // namespace

DocxText docx_paragraphs(std::string_view document_xml, const ReaderLimits& limits) {
  if (document_xml.size() > limits.max_docx_part_bytes) return {DocxStatus::kTooLarge, "", ""};
  Paragraphs walk(limits.max_visible_chars);
  bool parsed = walk.feed(document_xml, true);
  return walk_result(walk, parsed);
}

DocxText docx_text(std::string_view zip_bytes, const ReaderLimits& limits) {
  ZipPtr archive = open_zip(zip_bytes);
  if (!archive) return {DocxStatus::kCorrupt, "", ""};
  auto content_types = read_entry(archive.get(), "[Content_Types].xml", 1024 * 1024);
  if (!content_types) return {DocxStatus::kNotWord, "", describe_other_zip(archive.get())};
  PackageKind kind = package_kind(*content_types);
  if (kind.main_part.empty()) return {DocxStatus::kNotWord, "", kind.other};
  Paragraphs walk(limits.max_visible_chars);
  EntryRead read = stream_entry(archive.get(), kind.main_part, limits.max_docx_part_bytes,
                                [&](std::string_view chunk, bool final) { return walk.feed(chunk, final); });
  switch (read) {
    case EntryRead::kDone: return walk_result(walk, true);
    case EntryRead::kRefused: return walk_result(walk, false);
    case EntryRead::kTooLarge: return {DocxStatus::kTooLarge, "", ""};
    case EntryRead::kMissing:
    case EntryRead::kUnreadable: break;
  }
  return {DocxStatus::kCorrupt, "", ""};
}

}  // namespace resume_chat
