// The PDF and DOCX readers (pdf_text.h, docx_text.h), loaded only by the commands that need
// them. poppler alone brings some twenty libraries (NSS, freetype, fontconfig, image codecs);
// linked into the worker, loading them cost every serving process 3.7 MB of memory and
// startup time for code it never runs. So they live in libresume-chat-readers.so, beside the
// binary (build/, or PREFIX/lib/resume-chat/ after `make install`), and `documents put`
// loads it on first use: in the child process that reads the file (reader_sandbox.h), so
// even the command's own process never maps poppler.
#ifndef RESUME_CHAT_DOCUMENT_READERS_H_
#define RESUME_CHAT_DOCUMENT_READERS_H_

#include <string>
#include <string_view>

#include "resume_chat/docx_text.h"
#include "resume_chat/pdf_text.h"
#include "resume_chat/reader_limits.h"

namespace resume_chat {

struct DocumentReaders {
  PdfText (*pdf)(std::string_view bytes, const ReaderLimits& limits);
  DocxText (*docx)(std::string_view zip_bytes, const ReaderLimits& limits);
};

// The readers, loaded once; nullptr with `error` saying why when the library is missing.
const DocumentReaders* document_readers(std::string& error);

// For programs linked with the readers themselves (fuzzers): use them, load nothing.
void use_linked_document_readers(const DocumentReaders* readers);

}  // namespace resume_chat

// The library's one entry point.
extern "C" const resume_chat::DocumentReaders* resume_chat_document_readers();

#endif  // RESUME_CHAT_DOCUMENT_READERS_H_
