// The child process under limits: an answer comes back whole; memory, CPU time, the
// wall-clock deadline, a crash and an oversized answer each end it as such, the parent
// unharmed (and this test framework's signal handlers not run in the child). What each
// cost is logged (--log_level=message), never asserted.
#define BOOST_TEST_MODULE reader_sandbox
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "resume_chat/reader_sandbox.h"

using namespace resume_chat;

namespace {

ChildRun run_logged(const std::string& what, const std::function<std::string()>& work,
                    const ChildLimits& limits = {}) {
  ChildRun run = run_in_child(work, limits);
  BOOST_TEST_MESSAGE(what << ": " << describe_usage(run.usage) << (run.detail.empty() ? "" : ", ")
                          << run.detail);
  return run;
}

ChildLimits quick() {
  ChildLimits limits;
  limits.address_space_bytes = 256u * 1024 * 1024;
  limits.cpu_seconds = 1;
  limits.wall_seconds = 2;
  limits.max_output_bytes = 1024 * 1024;
  return limits;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_answer_comes_back_whole) {
  std::string big(3 * 1024 * 1024 + 7, 'x');
  big[12345] = '\0';
  ChildRun run = run_logged("answer", [&] { return big; });
  BOOST_TEST((run.end == ChildEnd::kFinished));
  BOOST_TEST((run.output == big));
  BOOST_TEST((run_in_child([] { return std::string(); }).end == ChildEnd::kFinished));
}

// Not in sanitizer builds: there the address space is not limited.
BOOST_AUTO_TEST_CASE(memory_past_the_limit_is_out_of_memory,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       return limits_address_space();
                     })) {
  ChildRun run = run_logged("allocate 1 GB under 256 MB", [] {
    std::vector<std::string> blocks;
    for (int i = 0; i < 1024; ++i) blocks.emplace_back(1024 * 1024, 'm');
    return std::string("never");
  }, quick());
  BOOST_TEST((run.end == ChildEnd::kOutOfMemory));
  BOOST_TEST(run.output.empty());
  ChildRun c_malloc = run_logged("malloc until NULL, then say so and abort", [] {
    for (;;) {
      void* block = std::malloc(1024 * 1024);
      if (block == nullptr) {
        std::fputs("Out of memory\n", stderr);  // as poppler's gmalloc does
        std::abort();
      }
      std::memset(block, 1, 1024 * 1024);
    }
    return std::string();
  }, quick());
  BOOST_TEST((c_malloc.end == ChildEnd::kOutOfMemory));
}

BOOST_AUTO_TEST_CASE(cpu_time_past_the_limit) {
  ChildLimits limits = quick();
  limits.wall_seconds = 30;
  ChildRun run = run_logged("spin", [] {
    volatile unsigned long n = 0;
    for (;;) ++n;
    return std::string();
  }, limits);
  BOOST_TEST((run.end == ChildEnd::kCpuTime));
}

BOOST_AUTO_TEST_CASE(the_wall_clock_deadline_kills_a_waiting_child) {
  ChildRun run = run_logged("sleep", [] {
    sleep(60);
    return std::string("late");
  }, quick());
  BOOST_TEST((run.end == ChildEnd::kWallClock));
  BOOST_TEST(run.output.empty());
}

BOOST_AUTO_TEST_CASE(a_crash_is_named) {
  ChildRun run = run_logged("SIGSEGV", [] {
    raise(SIGSEGV);
    return std::string();
  });
  BOOST_TEST((run.end == ChildEnd::kCrashed));
  BOOST_TEST(run.detail == "signal 11 (SIGSEGV)");
  ChildRun thrown = run_in_child([]() -> std::string { throw std::runtime_error("no"); });
  BOOST_TEST((thrown.end == ChildEnd::kCrashed));
  BOOST_TEST(thrown.detail == "exit status 1");
}

BOOST_AUTO_TEST_CASE(an_oversized_answer_is_cut_off) {
  ChildRun run = run_logged("answer past the cap", [] { return std::string(2 * 1024 * 1024, 'o'); },
                            quick());
  BOOST_TEST((run.end == ChildEnd::kOutputTooLarge));
  BOOST_TEST(run.output.empty());
}
