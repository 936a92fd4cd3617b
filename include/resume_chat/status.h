// The one way a function says it could not do its job for a reason worth telling: Status
// (ok, or a message for the log), and Result<T> when a value comes back. Modelled on
// LevelDB's Status, without codes: callers here branch on "ok or not" and log the message;
// where a caller branches on more than two outcomes, a verdict enum says which.
#ifndef RESUME_CHAT_STATUS_H_
#define RESUME_CHAT_STATUS_H_

#include <optional>
#include <string>
#include <utility>

namespace resume_chat {

class Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }  // "" when ok

 private:
  explicit Status(std::string message) : message_(std::move(message)), failed_(true) {}
  std::string message_;
  bool failed_ = false;
};

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit, like std::optional
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace resume_chat

#endif  // RESUME_CHAT_STATUS_H_
