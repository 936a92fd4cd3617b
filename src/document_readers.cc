// Loading libresume-chat-readers.so next to the running binary (document_readers.h).
#include "resume_chat/document_readers.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <mutex>

namespace resume_chat {
namespace {

constexpr const char* kLibrary = "libresume-chat-readers.so";

std::mutex mu;
const DocumentReaders* readers = nullptr;  // guarded by mu
std::string load_error;                    // guarded by mu

std::string executable_dir() {
  char path[PATH_MAX];
  ssize_t length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length <= 0) return ".";
  std::string exe(path, static_cast<size_t>(length));
  return exe.substr(0, exe.rfind('/'));
}

// Beside the binary (build/), one up (build/tests/, build/fuzz-replay/), or where
// `make install` puts it (PREFIX/bin → PREFIX/lib/resume-chat/).
const DocumentReaders* load() {
  const std::string dir = executable_dir();
  std::string tried;
  for (const std::string& candidate : {dir + "/" + kLibrary, dir + "/../" + kLibrary,
                                       dir + "/../lib/resume-chat/" + kLibrary}) {
    if (access(candidate.c_str(), R_OK) != 0) {
      tried += (tried.empty() ? "" : ", ") + candidate;
      continue;
    }
    void* library = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);  // never closed
    if (library == nullptr) {
      load_error = std::string("cannot load ") + candidate + ": " + dlerror();
      return nullptr;
    }
    using Entry = const DocumentReaders* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(library, "resume_chat_document_readers"));
    if (entry == nullptr) {
      load_error = candidate + " has no readers: " + dlerror();
      return nullptr;
    }
    return entry();
  }
  load_error = std::string(kLibrary) + " not found (looked for " + tried + ")";
  return nullptr;
}

}  // namespace

const DocumentReaders* document_readers(std::string& error) {
  std::lock_guard<std::mutex> lock(mu);
  if (readers == nullptr && load_error.empty()) readers = load();
  if (readers == nullptr) error = "PDF and Word files cannot be read here: " + load_error;
  return readers;
}

void use_linked_document_readers(const DocumentReaders* linked) {
  std::lock_guard<std::mutex> lock(mu);
  readers = linked;
}

}  // namespace resume_chat
