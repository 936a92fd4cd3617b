// Test support: runs scripts/anthropic-sim on a free port for the life of a fixture.
#ifndef RESUME_CHAT_TESTS_SUPPORT_SIMULATOR_H_
#define RESUME_CHAT_TESTS_SUPPORT_SIMULATOR_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace test_support {

class Simulator {
 public:
  explicit Simulator(const std::string& args = "--token-delay-ms 0") {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      execl("/bin/sh", "sh", "-c", ("exec scripts/anthropic-sim --port 0 " + args + " 2>/dev/null").c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    FILE* out = fdopen(fds[0], "r");
    char line[256] = {0};
    if (std::fgets(line, sizeof(line), out) == nullptr) throw std::runtime_error("simulator did not start");
    std::string text = line;
    url_ = text.substr(text.find("http://"));
    while (!url_.empty() && (url_.back() == '\n' || url_.back() == '\r')) url_.pop_back();
    out_ = out;
  }
  ~Simulator() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    if (out_ != nullptr) std::fclose(out_);
  }
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string url_;
};

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_SIMULATOR_H_
