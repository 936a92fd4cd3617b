// The load generator of `make bench` and tests/lifecycle: N browsers at once, each loading
// the page, then all sending a chat message together and reading the streamed reply. One thread, one libcurl
// multi handle driven by epoll (no thread or interpreter per stream), so on 2 cores the
// generator costs less than what it measures; bench.py reports its CPU time beside the
// worker's.
//
//   loadgen BASE_URL STREAMS MESSAGE   → one JSON object on stdout
#include <curl/curl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Stream {
  std::string page, body, received;
  std::string token;
  Clock::time_point started, first_token, last_token, done_at, ended;
  bool saw_token = false, done = false, error = false;
  long status = 0;
};

size_t collect(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Records when the first and the last token arrived, and `done` (it follows the reply's
// store: the lag between the two is what storing costs a reader).
size_t on_chat(char* data, size_t size, size_t count, void* user) {
  auto* s = static_cast<Stream*>(user);
  const std::string_view chunk(data, size * count);
  const auto now = Clock::now();
  if (chunk.find("event: token") != std::string_view::npos) {
    if (!s->saw_token) s->first_token = now;
    s->saw_token = true;
    s->last_token = now;
  }
  if (chunk.find("event: done") != std::string_view::npos) s->done_at = now;
  s->received.append(data, size * count);
  return size * count;
}

std::string session_token(const std::string& page) {
  const std::string marker = "data-session=\"";
  size_t at = page.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return page.substr(at, page.find('"', at) - at);
}

// Runs every handle in `easies` to completion: curl's socket API on epoll, so each wakeup
// costs what became ready, not a walk over a thousand transfers.
struct Loop {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  bool timer_set = false;
  Clock::time_point deadline;
};

int on_socket(CURL*, curl_socket_t fd, int what, void* user, void* registered) {
  auto* loop = static_cast<Loop*>(user);
  epoll_event event{};
  event.data.fd = fd;
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    return 0;
  }
  event.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  if (epoll_ctl(loop->epoll_fd, registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) != 0) {
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &event);
  }
  return 0;
}

int on_timer(CURLM*, long timeout_ms, void* user) {
  auto* loop = static_cast<Loop*>(user);
  loop->timer_set = timeout_ms >= 0;
  loop->deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  return 0;
}

void run_all(CURLM* multi, const std::vector<CURL*>& easies) {
  Loop loop;
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, &loop);
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, &loop);
  for (CURL* easy : easies) curl_multi_add_handle(multi, easy);
  int running = static_cast<int>(easies.size());
  epoll_event events[256];
  while (running > 0) {
    long wait_ms = 1000;
    if (loop.timer_set) {
      wait_ms = std::max(0L, static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                   loop.deadline - Clock::now()).count()));
    }
    int ready = epoll_wait(loop.epoll_fd, events, 256, static_cast<int>(wait_ms));
    for (int i = 0; i < ready; ++i) {
      int flags = ((events[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                  ((events[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                  ((events[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
      curl_multi_socket_action(multi, events[i].data.fd, flags, &running);
    }
    if (loop.timer_set && Clock::now() >= loop.deadline) {
      loop.timer_set = false;
      curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg == CURLMSG_DONE) curl_multi_remove_handle(multi, message->easy_handle);
    }
  }
  close(loop.epoll_fd);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p / 100 * (values.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: loadgen BASE_URL STREAMS MESSAGE\n");
    return 2;
  }
  const std::string base = argv[1], message = argv[3];
  const int n = std::atoi(argv[2]);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 256L);  // page loads: a browser crowd
  std::vector<Stream> streams(static_cast<size_t>(n));
  std::vector<CURL*> easies;
  const std::string page_url = base + "/?q=demo";
  for (Stream& s : streams) {
    CURL* easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, page_url.c_str());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &s.page);
    easies.push_back(easy);
  }
  run_all(multi, easies);
  for (size_t i = 0; i < streams.size(); ++i) {
    streams[i].token = session_token(streams[i].page);
    streams[i].page.clear();
    curl_easy_cleanup(easies[i]);
  }
  easies.clear();
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);  // every chat at once
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  const std::string chat_url = base + "/chat";
  for (size_t i = 0; i < streams.size(); ++i) {
    Stream& s = streams[i];
    s.body = "{\"session\":\"" + s.token + "\",\"message\":\"" + message + " " + std::to_string(i) + "\"}";
    CURL* easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, chat_url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, s.body.c_str());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_chat);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, 300L);
    easies.push_back(easy);
  }
  const auto started = Clock::now();
  for (Stream& s : streams) s.started = started;
  run_all(multi, easies);
  const auto ended = Clock::now();
  std::vector<double> first_token_s, done_lag_ms;
  int done = 0, errors = 0, refused = 0;
  for (size_t i = 0; i < streams.size(); ++i) {
    Stream& s = streams[i];
    curl_easy_getinfo(easies[i], CURLINFO_RESPONSE_CODE, &s.status);
    curl_easy_cleanup(easies[i]);
    s.done = s.received.find("event: done") != std::string::npos;
    if (s.status != 200) ++refused;
    if (s.done) ++done; else ++errors;
    if (s.done && s.saw_token) {
      done_lag_ms.push_back(std::chrono::duration<double, std::milli>(s.done_at - s.last_token).count());
    }
    if (s.saw_token) first_token_s.push_back(std::chrono::duration<double>(s.first_token - s.started).count());
  }
  curl_slist_free_all(headers);
  curl_multi_cleanup(multi);
  std::printf("{\"streams\":%d,\"done\":%d,\"errors\":%d,\"refused\":%d,\"wall_s\":%.3f,"
              "\"first_token_p50_s\":%.3f,\"first_token_p90_s\":%.3f,\"first_token_max_s\":%.3f,"
              "\"done_lag_p50_ms\":%.1f,\"done_lag_p99_ms\":%.1f,\"done_lag_max_ms\":%.1f}\n",
              n, done, errors, refused, std::chrono::duration<double>(ended - started).count(),
              percentile(first_token_s, 50), percentile(first_token_s, 90), percentile(first_token_s, 100),
              percentile(done_lag_ms, 50), percentile(done_lag_ms, 99), percentile(done_lag_ms, 100));
  curl_global_cleanup();
  return 0;
}
