// DocumentCache: the page route's short-lived copy of recently read documents.
//
// A page load needs its document, and the PostgreSQL query behind it costs more CPU than
// everything else a page does (bench/RESULTS.md). A link that many people open at once
// (a demo on Hugging Face Spaces, a shared `?q=`) would otherwise cost one query each.
// Only found documents are kept, for `ttl` (DOCUMENT_CACHE_MS; 0 turns the cache off): a
// new document shows at once, an edited or deleted one within `ttl`. The chat never uses
// this cache: the system prompt is always built from the row as it is now.
#ifndef RESUME_CHAT_DOCUMENT_CACHE_H_
#define RESUME_CHAT_DOCUMENT_CACHE_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "resume_chat/chat_store.h"

namespace resume_chat {

class DocumentCache {
 public:
  using Clock = std::chrono::steady_clock;

  // At most `max_entries` documents of at most `max_document_bytes` each are kept.
  explicit DocumentCache(std::chrono::milliseconds ttl, size_t max_entries = 256,
                         size_t max_document_bytes = 256 * 1024);

  // The document if it was stored less than `ttl` before `now`.
  std::shared_ptr<const Document> find(const std::string& name, Clock::time_point now = Clock::now());
  void store(const Document& document, Clock::time_point now = Clock::now());

  bool enabled() const { return ttl_.count() > 0; }
  size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<const Document> document;
    Clock::time_point stored;
  };
  void make_room(Clock::time_point now);  // mu_ held

  const std::chrono::milliseconds ttl_;
  const size_t max_entries_, max_document_bytes_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_DOCUMENT_CACHE_H_
