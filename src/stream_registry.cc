// Stream admission: capacity and one stream per session, under one mutex.
#include "resume_chat/stream_registry.h"

namespace resume_chat {

StreamRegistry::Admission StreamRegistry::admit(const std::string& session) {
  std::lock_guard<std::mutex> lock(mu_);
  Admission admission;
  if (sessions_.count(session) != 0) {
    admission.refusal = Refusal::kSessionStreaming;
  } else if (in_flight_ >= capacity_) {
    admission.refusal = Refusal::kBusy;
  } else {
    sessions_.insert(session);
    ++in_flight_;
    admission.ticket = Ticket(this, session);
  }
  return admission;
}

int StreamRegistry::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

StreamRegistry::Ticket& StreamRegistry::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    registry_ = other.registry_;
    session_ = std::move(other.session_);
    holds_session_ = other.holds_session_;
    other.registry_ = nullptr;
    other.holds_session_ = false;
  }
  return *this;
}

void StreamRegistry::Ticket::release_session() {
  if (registry_ == nullptr || !holds_session_) return;
  std::lock_guard<std::mutex> lock(registry_->mu_);
  registry_->sessions_.erase(session_);
  holds_session_ = false;
}

void StreamRegistry::Ticket::release() {
  if (registry_ == nullptr) return;
  release_session();
  std::lock_guard<std::mutex> lock(registry_->mu_);
  --registry_->in_flight_;
  registry_ = nullptr;
}

}  // namespace resume_chat
