// Test support: a blocking queue between threads (the engine's tests receive the streams
// its event thread hands back through it).
#ifndef RESUME_CHAT_TESTS_SUPPORT_WORK_QUEUE_H_
#define RESUME_CHAT_TESTS_SUPPORT_WORK_QUEUE_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace test_support {

template <typename T>
class WorkQueue {
 public:
  void push(T item) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
  }

  // The oldest item; waits for one. std::nullopt once closed and empty.
  std::optional<T> pop() {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [this] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // pop() returns what is left, then std::nullopt.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    ready_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<T> items_;  // guarded by mu_
  bool closed_ = false;  // guarded by mu_
};

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_WORK_QUEUE_H_
