// A child process under limits (reader_sandbox.h): fork, setrlimit in the child, poll and
// kill in the parent, wait4 for how it ended and what it used.
#include "resume_chat/reader_sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <new>

namespace resume_chat {
namespace {

// The child's exit code when an allocation failed (operator new, or a library's malloc
// check that reports "Out of memory" and aborts: see `said_out_of_memory`).
constexpr int kOutOfMemoryExit = 86;
// Enough of the child's stderr to recognise what it said before dying.
constexpr size_t kMaxStderrBytes = 4096;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

bool make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return true;
}

void set_limit(int resource, rlim_t soft, rlim_t hard) {
  struct rlimit limit {soft, hard};
  setrlimit(resource, &limit);
}

void write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

[[noreturn]] void out_of_memory() { _exit(kOutOfMemoryExit); }

[[noreturn]] void run_child(const std::function<std::string()>& work, const ChildLimits& limits,
                            int output_fd, int stderr_fd) {
  // The parent's handlers (a test framework's, say) must not run here.
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  dup2(stderr_fd, STDERR_FILENO);
  if (!kSanitized) set_limit(RLIMIT_AS, limits.address_space_bytes, limits.address_space_bytes);
  // Soft: SIGXCPU at the limit; hard one second later: SIGKILL, should it be ignored.
  set_limit(RLIMIT_CPU, static_cast<rlim_t>(limits.cpu_seconds),
            static_cast<rlim_t>(limits.cpu_seconds) + 1);
  set_limit(RLIMIT_CORE, 0, 0);
  set_limit(RLIMIT_FSIZE, 0, 0);  // readers write no files
  std::set_new_handler(out_of_memory);
  std::string answer;
  try {
    answer = work();
  } catch (const std::bad_alloc&) {
    out_of_memory();
  } catch (...) {
    _exit(1);
  }
  write_all(output_fd, answer);
  _exit(0);
}

double seconds(const struct timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; }

const char* signal_name(int sig) {
  switch (sig) {
    case SIGABRT: return "SIGABRT";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGXCPU: return "SIGXCPU";
    default: return "";
  }
}

// A library's malloc wrapper (poppler's gmalloc) says so on stderr, then aborts.
bool said_out_of_memory(const std::string& stderr_text) {
  return stderr_text.find("Out of memory") != std::string::npos ||
         stderr_text.find("bad_alloc") != std::string::npos;
}

// Reads both pipes until the child closes them, the output passes its cap or the deadline
// passes; false when the deadline passed.
bool collect(int output_fd, int stderr_fd, const ChildLimits& limits,
             std::chrono::steady_clock::time_point deadline, ChildRun& run, std::string& err) {
  bool output_open = true, stderr_open = true;
  char buffer[65536];
  while (output_open || stderr_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    struct pollfd fds[2] = {{output_open ? output_fd : -1, POLLIN, 0},
                            {stderr_open ? stderr_fd : -1, POLLIN, 0}};
    int ready = poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) return true;
    if (ready <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      bool& open = i == 0 ? output_open : stderr_open;
      if (n <= 0) {
        open = false;
        continue;
      }
      if (i == 1) {
        if (err.size() < kMaxStderrBytes) err.append(buffer, static_cast<size_t>(n));
        continue;
      }
      run.output.append(buffer, static_cast<size_t>(n));
      if (run.output.size() > limits.max_output_bytes) {
        run.end = ChildEnd::kOutputTooLarge;
        return true;
      }
    }
  }
  return true;
}

void classify(int status, const struct rusage& usage, const ChildLimits& limits,
              const std::string& err, ChildRun& run) {
  if (run.end == ChildEnd::kWallClock || run.end == ChildEnd::kOutputTooLarge) return;
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code == 0) {
      run.end = ChildEnd::kFinished;
    } else if (code == kOutOfMemoryExit) {
      run.end = ChildEnd::kOutOfMemory;
    } else {
      run.end = ChildEnd::kCrashed;
      run.detail = "exit status " + std::to_string(code);
    }
    return;
  }
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  double cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  // SIGXCPU at the soft limit; SIGKILL (not ours: ours are classified above) at the hard one.
  // The kernel checks at its tick: the accounted time may fall a little short of the limit.
  if (sig == SIGXCPU || (sig == SIGKILL && cpu + 0.5 >= limits.cpu_seconds)) {
    run.end = ChildEnd::kCpuTime;
  } else if (said_out_of_memory(err)) {
    run.end = ChildEnd::kOutOfMemory;
  } else {
    run.end = ChildEnd::kCrashed;
    const char* name = signal_name(sig);
    run.detail = "signal " + std::to_string(sig) + (*name ? std::string(" (") + name + ")" : "");
  }
}

}  // namespace

ChildRun run_in_child(const std::function<std::string()>& work, const ChildLimits& limits) {
  ChildRun run;
  Fd output_read, output_write, stderr_read, stderr_write;
  if (!make_pipe(output_read, output_write) || !make_pipe(stderr_read, stderr_write)) {
    run.detail = std::string("pipe: ") + std::strerror(errno);
    return run;
  }
  const auto start = std::chrono::steady_clock::now();
  std::fflush(nullptr);  // nothing buffered is written twice
  pid_t pid = fork();
  if (pid < 0) {
    run.detail = std::string("fork: ") + std::strerror(errno);
    return run;
  }
  if (pid == 0) run_child(work, limits, output_write.get(), stderr_write.get());
  output_write.reset();
  stderr_write.reset();
  std::string err;
  if (!collect(output_read.get(), stderr_read.get(), limits,
               start + std::chrono::seconds(limits.wall_seconds), run, err)) {
    run.end = ChildEnd::kWallClock;
  }
  if (run.end == ChildEnd::kWallClock || run.end == ChildEnd::kOutputTooLarge) kill(pid, SIGKILL);
  int status = 0;
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  run.usage.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.usage.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  run.usage.peak_rss_kb = usage.ru_maxrss;
  classify(status, usage, limits, err, run);
  if (run.end != ChildEnd::kFinished) run.output.clear();
  return run;
}

bool limits_address_space() { return !kSanitized; }

std::string describe_usage(const ChildUsage& usage) {
  char text[96];
  std::snprintf(text, sizeof(text), "%.2f s wall, %.2f s CPU, peak %.1f MB", usage.wall_seconds,
                usage.cpu_seconds, static_cast<double>(usage.peak_rss_kb) / 1024.0);
  return text;
}

}  // namespace resume_chat
