// The page's document cache: a bounded map with a time-to-live, behind one mutex.
#include "resume_chat/document_cache.h"

namespace resume_chat {

DocumentCache::DocumentCache(std::chrono::milliseconds ttl, size_t max_entries,
                             size_t max_document_bytes)
    : ttl_(ttl), max_entries_(max_entries), max_document_bytes_(max_document_bytes) {}

std::shared_ptr<const Document> DocumentCache::find(const std::string& name, Clock::time_point now) {
  if (!enabled()) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return nullptr;
  if (now - it->second.stored >= ttl_) {
    entries_.erase(it);
    return nullptr;
  }
  return it->second.document;
}

void DocumentCache::store(const Document& document, Clock::time_point now) {
  if (!enabled() || max_entries_ == 0) return;
  if (document.name.size() + document.resume.size() + document.jd.size() > max_document_bytes_) {
    return;
  }
  auto copy = std::make_shared<const Document>(document);  // outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.count(document.name) == 0 && entries_.size() >= max_entries_) make_room(now);
  entries_[document.name] = Entry{std::move(copy), now};
}

void DocumentCache::make_room(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now - it->second.stored >= ttl_ ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() < max_entries_) return;
  auto oldest = entries_.begin();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.stored < oldest->second.stored) oldest = it;
  }
  entries_.erase(oldest);
}

size_t DocumentCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace resume_chat
