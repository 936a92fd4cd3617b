// Running untrusted work (the PDF and DOCX readers on a candidate's file) in a child process
// under limits: address space and CPU time set with setrlimit in the child, a wall-clock
// deadline kept by the parent (which kills the child), the child's answer returned over a
// pipe with a size cap. The parent learns how it ended and what it cost (wait4's rusage), so
// a hostile file costs at most the limits, and never the parent's memory.
// For single-threaded callers (the `documents put` command, tests): it forks.
#ifndef RESUME_CHAT_READER_SANDBOX_H_
#define RESUME_CHAT_READER_SANDBOX_H_

#include <cstddef>
#include <functional>
#include <string>

namespace resume_chat {

struct ChildLimits {
  size_t address_space_bytes = 512u * 1024 * 1024;
  int cpu_seconds = 20;
  int wall_seconds = 40;  // for a child that waits rather than computes; CPU time comes first
  size_t max_output_bytes = 8u * 1024 * 1024;
};

enum class ChildEnd {
  kFinished,      // the work returned; `output` is its answer
  kOutOfMemory,   // an allocation failed at the address-space limit
  kCpuTime,       // killed at the CPU-time limit
  kWallClock,     // killed at the wall-clock deadline
  kCrashed,       // killed by another signal or exited without an answer (`detail`)
  kOutputTooLarge,
  kCannotStart,   // pipe or fork failed (`detail`)
};

struct ChildUsage {
  double wall_seconds = 0;
  double cpu_seconds = 0;  // user + system
  long peak_rss_kb = 0;
};

struct ChildRun {
  ChildEnd end = ChildEnd::kCannotStart;
  std::string output;
  std::string detail;  // kCrashed: e.g. "signal 11 (SIGSEGV)"; kCannotStart: the error
  ChildUsage usage;
};

// Runs `work` in a forked child under `limits`; its return value comes back as `output`.
// The child resets signal handlers, makes no core file, and ends with _exit (no atexit
// handlers, no stdio flush of the parent's buffers).
ChildRun run_in_child(const std::function<std::string()>& work, const ChildLimits& limits = {});

// False in sanitizer builds (ASan and TSan reserve terabytes of address space for their
// shadow memory): there the child's address space is not limited, its CPU time still is.
bool limits_address_space();

// "12.3 s wall, 11.9 s CPU, peak 498 MB": for logs and test output.
std::string describe_usage(const ChildUsage& usage);

}  // namespace resume_chat

#endif  // RESUME_CHAT_READER_SANDBOX_H_
