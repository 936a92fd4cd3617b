// The upstream engine against the simulator, each stream's FastCGI connection a socketpair
// whose other end plays nginx: replies in every wire format, broken streams, retries only
// where the SDKs retry, the idle timeout, a reader that leaves or stops reading, shutdown,
// and many streams at once on one event thread.
#define BOOST_TEST_MODULE claude_engine
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "resume_chat/claude_engine.h"
#include "support/work_queue.h"
#include "support/fcgi_records.h"
#include "support/simulator.h"

using namespace resume_chat;
using test_support::FcgiRecords;
namespace utf = boost::unit_test;

namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};
BOOST_TEST_GLOBAL_FIXTURE(CurlGlobal);

ClaudeConfig config_for(const std::string& url, const std::string& key = "sk-ant-sim-local") {
  ClaudeConfig config;
  config.base_url = url;
  config.api_key = key;
  config.model = "claude-haiku-4-5-20251001";
  config.max_tokens = 256;
  config.idle_timeout_s = 2;
  return config;
}

struct Run {
  std::unique_ptr<ReplyStream> stream;
  FcgiRecords seen;
  const Reply& reply() const { return stream->reply; }
  std::string text() const {
    std::string all;
    for (const auto& token : seen.tokens()) all += token;
    return all;
  }
};

class Harness {
 public:
  // Each ended stream is concluded at once with `last_event` ("" writes only the end).
  explicit Harness(ClaudeConfig config, EngineLimits limits = {}, std::string last_event = "")
      : config_(config), engine_(config, limits) {
    BOOST_REQUIRE(engine_.start().ok());
    EngineHooks hooks;
    hooks.ended = [this, last_event](ReplyStream& s) { engine_.conclude(s.id, last_event); };
    hooks.closed = [this](std::unique_ptr<ReplyStream> s) { ended_.push(std::move(s)); };
    engine_.set_hooks(std::move(hooks));
  }
  ~Harness() { engine_.stop(); }

  // Starts a stream asking `message`; returns the nginx end of its connection. A small
  // `socket_buffer` makes the kernel hold little of what a reader leaves unread.
  int submit(const std::string& message, int socket_buffer = 0,
             std::unique_ptr<ReplyStream> stream = std::make_unique<ReplyStream>()) {
    int fds[2];
    BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    if (socket_buffer > 0) setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &socket_buffer, sizeof(int));
    stream->api_body = build_messages_body(config_, "You are a test.", {{"user", message}});
    stream->downstream = FcgiConnection(fds[0], 1);
    stream->downstream.queue("Status: 200 OK\r\n\r\n");
    stream->accepted = std::chrono::steady_clock::now();
    engine_.submit(std::move(stream));
    return fds[1];
  }

  // The next stream the engine finished with, and what its reader received.
  // Reads the stream to its FastCGI end and closes, as nginx does (else the engine's close
  // waits out its linger for nginx's end).
  Run next(int nginx_fd) {
    Run run;
    while (!run.seen.ended && run.seen.read_from(nginx_fd, 30000)) {}
    close(nginx_fd);
    run.stream = std::move(*ended_.pop());
    return run;
  }

  Run ask(const std::string& message) { return next(submit(message)); }
  ClaudeEngine& engine() { return engine_; }

 private:
  ClaudeConfig config_;
  test_support::WorkQueue<std::unique_ptr<ReplyStream>> ended_;
  ClaudeEngine engine_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(complete_streams_in_every_wire_format, *utf::timeout(120)) {
  test_support::Simulator sim;
  Harness harness(config_for(sim.url()));
  const Run normal = harness.ask("hi");
  BOOST_TEST((normal.reply().status == ReplyStatus::kComplete), describe(normal.reply()));
  BOOST_TEST(normal.stream->tokens_forwarded > 20);
  BOOST_TEST(normal.reply().text == normal.text());  // what is stored is what was shown
  BOOST_TEST(normal.reply().stop_reason == "end_turn");
  BOOST_TEST(normal.reply().usage.output_tokens > 1);
  BOOST_TEST(normal.reply().request_id.rfind("req_sim_", 0) == 0u);
  BOOST_TEST(normal.seen.stdout_.rfind("Status: 200 OK\r\n\r\nevent: token\n", 0) == 0u);
  const Run unicode = harness.ask("[sim:unicode]");
  for (const char* scenario : {"[sim:tiny-chunks]", "[sim:crlf]", "[sim:cr]"}) {
    Run run = harness.ask(scenario);
    BOOST_TEST((run.reply().status == ReplyStatus::kComplete), scenario);
    BOOST_TEST(run.reply().text == unicode.reply().text, scenario);
  }
  for (const char* scenario : {"[sim:noise]", "[sim:thinking]", "[sim:tool_use]", "[sim:citations]"}) {
    Run run = harness.ask(scenario);
    BOOST_TEST((run.reply().status == ReplyStatus::kComplete), scenario);
    BOOST_TEST(run.reply().text == normal.reply().text, scenario);
  }
  BOOST_TEST(harness.ask("[sim:echo] x").reply().text == "echo: 1 messages; last: [sim:echo] x");
}

BOOST_AUTO_TEST_CASE(broken_streams_keep_their_partial_text_and_are_not_retried,
                     *utf::timeout(120)) {
  test_support::Simulator sim;
  Harness harness(config_for(sim.url()));
  struct Case { const char* message; ReplyStatus status; };
  for (Case c : {Case{"[sim:error-midstream]", ReplyStatus::kApiError},
                 Case{"[sim:drop]", ReplyStatus::kIncomplete},
                 Case{"[sim:reset]", ReplyStatus::kIncomplete},
                 Case{"[sim:truncated]", ReplyStatus::kIncomplete}}) {
    Run run = harness.ask(c.message);
    BOOST_TEST((run.reply().status == c.status), c.message << ": " << describe(run.reply()));
    BOOST_TEST(!run.reply().text.empty(), c.message);
    BOOST_TEST(run.reply().text == run.text(), c.message);
    BOOST_TEST(run.reply().retries == 0, c.message);  // it had started: never retried
  }
  BOOST_TEST(harness.ask("[sim:error-midstream]").reply().error_type == "overloaded_error");
}

BOOST_AUTO_TEST_CASE(http_errors_retry_only_when_allowed, *utf::timeout(120)) {
  test_support::Simulator sim;
  Harness harness(config_for(sim.url()));
  Run flaky = harness.ask("[sim:flaky-529]");
  BOOST_TEST((flaky.reply().status == ReplyStatus::kComplete), describe(flaky.reply()));
  BOOST_TEST(flaky.reply().retries == 1);
  BOOST_TEST(!flaky.text().empty());
  Run overloaded = harness.ask("[sim:http-529]");
  BOOST_TEST((overloaded.reply().status == ReplyStatus::kApiError));
  BOOST_TEST(overloaded.reply().retries == 2);
  BOOST_TEST(overloaded.reply().http_status == 529);
  BOOST_TEST(overloaded.reply().error_type == "overloaded_error");
  Run bad_request = harness.ask("[sim:http-400]");
  BOOST_TEST(bad_request.reply().retries == 0);
  BOOST_TEST(bad_request.reply().error_type == "invalid_request_error");
  BOOST_TEST(harness.ask("[sim:should-not-retry]").reply().retries == 0);
  BOOST_TEST(harness.ask("[sim:http-401]").reply().http_status == 401);
  BOOST_TEST(harness.engine().stats().retries == 3);
}

BOOST_AUTO_TEST_CASE(api_key_check_through_the_engine, *utf::timeout(60)) {
  test_support::Simulator sim;
  Harness good(config_for(sim.url()));
  BOOST_TEST((good.engine().check_api_key(std::chrono::seconds(5)).status == KeyStatus::kValid));
  Harness wrong(config_for(sim.url(), "sk-ant-wrong"));
  KeyCheck bad = wrong.engine().check_api_key(std::chrono::seconds(5));
  BOOST_TEST((bad.status == KeyStatus::kInvalid));
  BOOST_TEST(bad.http_status == 401);
  Harness nowhere(config_for("http://127.0.0.1:1"));
  BOOST_TEST((nowhere.engine().check_api_key(std::chrono::seconds(2)).status == KeyStatus::kUnreachable));
}

BOOST_AUTO_TEST_CASE(unreachable_api_is_retried_then_reported, *utf::timeout(60)) {
  Harness harness(config_for("http://127.0.0.1:1"));
  Run run = harness.ask("hi");
  BOOST_TEST((run.reply().status == ReplyStatus::kUnreachable), describe(run.reply()));
  BOOST_TEST(run.reply().retries == 2);
  BOOST_TEST(run.seen.tokens().empty());
}

// The stall scenario answers 200 and message_start, then says nothing for 120 s. The error
// must come the idle timeout after that last byte, with no retry (the response had started).
BOOST_AUTO_TEST_CASE(a_silent_stream_times_out_after_its_last_byte, *utf::timeout(60)) {
  test_support::Simulator sim;
  Harness harness(config_for(sim.url()));
  const auto started = std::chrono::steady_clock::now();
  Run run = harness.ask("[sim:stall]");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST((run.reply().status == ReplyStatus::kTimedOut), describe(run.reply()));
  BOOST_TEST(run.reply().retries == 0);
  BOOST_TEST(run.reply().http_status == 200);
  BOOST_TEST_MESSAGE("silent stream ended after " << seconds << " s (idle timeout 2 s)");
  // While it was silent the reader got heartbeats only when the silence exceeded 5 s.
  BOOST_TEST(run.seen.tokens().empty());
}

BOOST_AUTO_TEST_CASE(heartbeats_keep_a_silent_stream_open, *utf::timeout(60)) {
  test_support::Simulator sim;
  ClaudeConfig config = config_for(sim.url());
  config.idle_timeout_s = 3;
  EngineLimits limits;
  limits.heartbeat = std::chrono::milliseconds(400);
  Harness harness(config, limits);
  Run run = harness.ask("[sim:stall]");
  BOOST_TEST(run.seen.stdout_.find(": ping\n\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_reader_that_leaves_aborts_the_transfer, *utf::timeout(60)) {
  test_support::Simulator sim("--token-delay-ms 50");
  Harness harness(config_for(sim.url()));
  int nginx = harness.submit("hi");
  FcgiRecords seen;
  while (seen.tokens().size() < 3) seen.read_from(nginx, 1000);
  close(nginx);  // the browser's Stop: nginx closes the FastCGI connection
  Run run = harness.next(open("/dev/null", O_RDONLY));
  BOOST_TEST((run.reply().status == ReplyStatus::kCancelled), describe(run.reply()));
  BOOST_TEST((run.reply().cancel_reason == CancelReason::kClientGone));
  BOOST_TEST(run.stream->tokens_forwarded >= 3);
  BOOST_TEST(run.stream->tokens_forwarded < 60);  // stopped long before the reply's end
  BOOST_TEST(run.reply().text.size() > 0u);
}

// One stream's reader takes nothing; its output grows to the limit and it is cancelled,
// while a stream beside it on the same event thread completes. (The other reply is short
// enough that its output fits the limit even if its reader is slow on a busy machine.)
BOOST_AUTO_TEST_CASE(a_reader_that_stops_reading_stalls_no_one_else, *utf::timeout(120)) {
  test_support::Simulator sim;
  EngineLimits limits;
  limits.max_pending_bytes = 16 * 1024;
  ClaudeConfig config = config_for(sim.url());
  config.max_tokens = 4096;
  Harness harness(config, limits);
  int stuck = harness.submit("[sim:long] stuck", 4096);  // ~20 KB of text, never read
  int reader = harness.submit("beside it");
  FcgiRecords seen;
  std::thread pump([&] { while (!seen.ended && seen.read_from(reader, 3000)) {} });
  Run a = harness.next(open("/dev/null", O_RDONLY));
  Run b = harness.next(open("/dev/null", O_RDONLY));
  shutdown(reader, SHUT_RDWR);
  pump.join();
  FcgiRecords stuck_seen;  // what the stuck reader could still read: what was written to it
  while (stuck_seen.read_from(stuck, 200)) {}
  close(stuck);
  close(reader);
  const Run& slow = a.reply().status == ReplyStatus::kCancelled ? a : b;
  const Run& fine = &slow == &a ? b : a;
  BOOST_TEST((slow.reply().status == ReplyStatus::kCancelled), describe(slow.reply()));
  BOOST_TEST((slow.reply().cancel_reason == CancelReason::kClientTooSlow));
  BOOST_TEST(slow.reply().text.size() < 20000u);  // ended before its whole reply
  // What counts as shown is what was written to the reader, not what was received.
  BOOST_TEST(slow.stream->text_written < slow.reply().text.size());
  std::string written;
  for (const auto& token : stuck_seen.tokens()) written += token;
  BOOST_TEST(written == std::string(slow.stream->text_shown()));
  BOOST_TEST(fine.stream->fully_written());
  BOOST_TEST((fine.reply().status == ReplyStatus::kComplete), describe(fine.reply()));
  std::string shown;
  for (const auto& token : seen.tokens()) shown += token;
  BOOST_TEST(shown == fine.reply().text);
}

// Whatever is thrown while a token is forwarded (out of memory, say) stops at the engine's
// callback: it never unwinds through libcurl, the stream ends as an internal error with the
// text forwarded so far, and the engine goes on with the others.
BOOST_AUTO_TEST_CASE(an_exception_mid_stream_ends_that_stream_only, *utf::timeout(60)) {
  struct Throwing : ReplyStream {
    mutable int tokens = 0;
    std::string event_for(std::string_view text) const override {
      if (++tokens == 4) throw std::bad_alloc();
      return ReplyStream::event_for(text);
    }
  };
  test_support::Simulator sim;
  Harness harness(config_for(sim.url()));
  Run broken = harness.next(harness.submit("hi", 0, std::make_unique<Throwing>()));
  BOOST_TEST((broken.reply().status == ReplyStatus::kCancelled), describe(broken.reply()));
  BOOST_TEST((broken.reply().cancel_reason == CancelReason::kInternalError));
  BOOST_TEST(broken.stream->tokens_forwarded == 3);
  BOOST_TEST(broken.reply().text == broken.text());  // stored as shown
  BOOST_TEST(reply_error_text(broken.reply()).find("went wrong on the server") != std::string::npos);
  BOOST_TEST((harness.ask("fine").reply().status == ReplyStatus::kComplete));
}

// Submits `stream` asking "hi" on a socketpair; returns the nginx end.
int submit_to(ClaudeEngine& engine, std::unique_ptr<ReplyStream> stream) {
  int fds[2];
  BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  stream->api_body = build_messages_body(engine.config(), "You are a test.", {{"user", "hi"}});
  stream->downstream = FcgiConnection(fds[0], 1);
  stream->accepted = std::chrono::steady_clock::now();
  engine.submit(std::move(stream));
  return fds[1];
}

// The owner concludes a stream late (its store is slow): the reader keeps its connection,
// gets the stream's late event once, then the owner's last event and the FastCGI end.
BOOST_AUTO_TEST_CASE(a_late_conclusion_tells_the_reader_then_ends_the_stream, *utf::timeout(60)) {
  struct Late : ReplyStream {
    std::string late_event() const override { return "event: notice\ndata: {}\n\n"; }
  };
  test_support::Simulator sim;
  ClaudeConfig config = config_for(sim.url());
  EngineLimits limits;
  limits.late_after = std::chrono::milliseconds(300);
  ClaudeEngine engine(config, limits);
  BOOST_REQUIRE(engine.start().ok());
  test_support::WorkQueue<uint64_t> ended;
  test_support::WorkQueue<std::unique_ptr<ReplyStream>> closed;
  EngineHooks hooks;
  hooks.ended = [&](ReplyStream& s) { ended.push(s.id); };
  hooks.closed = [&](std::unique_ptr<ReplyStream> s) { closed.push(std::move(s)); };
  engine.set_hooks(hooks);
  const int nginx = submit_to(engine, std::make_unique<Late>());
  const uint64_t id = *ended.pop();
  FcgiRecords seen;
  const auto since = std::chrono::steady_clock::now();
  while (seen.stdout_.find("event: notice") == std::string::npos &&
         std::chrono::steady_clock::now() - since < std::chrono::seconds(30)) {
    seen.read_from(nginx, 100);  // the store is slow: the reader is told, then it concludes
  }
  engine.conclude(id, "event: done\ndata: {}\n\n");
  std::unique_ptr<ReplyStream> back = std::move(*closed.pop());
  while (!seen.ended && seen.read_from(nginx, 1000)) {}
  close(nginx);
  BOOST_TEST(seen.ended);
  const std::string& out = seen.stdout_;
  const size_t notice = out.find("event: notice"), done = out.find("event: done");
  BOOST_TEST((notice != std::string::npos && done != std::string::npos && notice < done), out);
  BOOST_TEST(out.find("event: notice", notice + 1) == std::string::npos);  // once
  BOOST_TEST(back->fully_written());
  engine.stop();
}

// An owner whose `ended` hook throws does not lose the stream: it is ended and handed back.
BOOST_AUTO_TEST_CASE(a_throwing_hook_still_ends_and_returns_the_stream, *utf::timeout(60)) {
  test_support::Simulator sim;
  ClaudeConfig config = config_for(sim.url());
  ClaudeEngine engine(config);
  BOOST_REQUIRE(engine.start().ok());
  test_support::WorkQueue<std::unique_ptr<ReplyStream>> closed;
  EngineHooks hooks;
  hooks.ended = [](ReplyStream&) { throw std::runtime_error("owner failed"); };
  hooks.closed = [&](std::unique_ptr<ReplyStream> s) { closed.push(std::move(s)); };
  engine.set_hooks(hooks);
  const int nginx = submit_to(engine, std::make_unique<ReplyStream>());
  std::unique_ptr<ReplyStream> back = std::move(*closed.pop());
  FcgiRecords seen;
  while (!seen.ended && seen.read_from(nginx, 1000)) {}
  close(nginx);
  BOOST_TEST(seen.ended);
  BOOST_TEST((back->reply.status == ReplyStatus::kComplete));
  // The count drops once the hook has returned (release_closed).
  for (int i = 0; i < 100 && engine.active() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  BOOST_TEST(engine.active() == 0);
  engine.stop();
}

BOOST_AUTO_TEST_CASE(shutdown_cancels_every_stream_and_refuses_new_ones, *utf::timeout(60)) {
  test_support::Simulator sim("--token-delay-ms 100");
  Harness harness(config_for(sim.url()));
  int one = harness.submit("[sim:slow] one");
  int two = harness.submit("[sim:slow] two");
  FcgiRecords seen;
  while (seen.tokens().empty()) seen.read_from(one, 1000);
  harness.engine().cancel_all(CancelReason::kShutdown);
  for (int fd : {one, two}) {
    Run run = harness.next(fd);
    BOOST_TEST((run.reply().status == ReplyStatus::kCancelled));
    BOOST_TEST((run.reply().cancel_reason == CancelReason::kShutdown));
  }
  Run late = harness.ask("hi");
  BOOST_TEST((late.reply().cancel_reason == CancelReason::kShutdown));
  while (harness.engine().active() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

BOOST_AUTO_TEST_CASE(many_streams_at_once_on_one_thread, *utf::timeout(180)) {
  test_support::Simulator sim("--token-delay-ms 20");
  Harness harness(config_for(sim.url()));
  std::vector<int> readers;
  for (int i = 0; i < 200; ++i) readers.push_back(harness.submit("[sim:slow] many " + std::to_string(i)));
  int complete = 0;
  for (size_t i = 0; i < readers.size(); ++i) {
    Run run = harness.next(open("/dev/null", O_RDONLY));
    complete += run.reply().status == ReplyStatus::kComplete;
  }
  for (int fd : readers) close(fd);
  BOOST_TEST(complete == 200);
  for (int i = 0; i < 100 && harness.engine().active() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the last hook returning
  }
  BOOST_TEST(harness.engine().active() == 0);
}
