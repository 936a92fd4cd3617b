// Which replies may stream now: at most `capacity` in the worker, and one per session.
//
// admit() hands out a Ticket, the right to stream; destroying it gives the slot back. All
// admission state lives here and changes under one mutex, so capacity, the per-session
// claim and the in-flight count can never disagree.
#ifndef RESUME_CHAT_STREAM_REGISTRY_H_
#define RESUME_CHAT_STREAM_REGISTRY_H_

#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace resume_chat {

class StreamRegistry {
 public:
  enum class Refusal { kBusy, kSessionStreaming };

  class Ticket {
   public:
    Ticket() = default;
    ~Ticket() { release(); }
    Ticket(Ticket&& other) noexcept { *this = std::move(other); }
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;

    // The session may stream its next reply (this one is stored); the slot stays taken.
    void release_session();
    void release();

   private:
    friend class StreamRegistry;
    Ticket(StreamRegistry* registry, std::string session)
        : registry_(registry), session_(std::move(session)), holds_session_(true) {}

    StreamRegistry* registry_ = nullptr;
    std::string session_;
    bool holds_session_ = false;
  };

  struct Admission {
    std::optional<Ticket> ticket;
    Refusal refusal = Refusal::kBusy;  // when there is no ticket
  };

  explicit StreamRegistry(int capacity) : capacity_(capacity) {}

  Admission admit(const std::string& session);
  int in_flight() const;
  int capacity() const { return capacity_; }

 private:
  const int capacity_;
  mutable std::mutex mu_;
  std::set<std::string> sessions_;  // guarded by mu_
  int in_flight_ = 0;               // guarded by mu_
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_STREAM_REGISTRY_H_
