// The entry point of libresume-chat-readers.so (document_readers.h): the PDF and DOCX readers.
#include "resume_chat/document_readers.h"

extern "C" const resume_chat::DocumentReaders* resume_chat_document_readers() {
  static const resume_chat::DocumentReaders readers{&resume_chat::pdf_text, &resume_chat::docx_text};
  return &readers;
}
