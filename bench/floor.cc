// The floor of `make bench`: the least a FastCGI app behind the same nginx can cost.
//   floor page HOST:PORT BYTES         answers every request with BYTES of HTML
//   floor stream HOST:PORT N INTERVAL  answers with N SSE events INTERVAL ms apart, each
//                                      carrying its write time (ns, CLOCK_REALTIME), flushed
// Threads as the worker (8), one request per connection, no keepalive to nginx.
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

void serve(int socket, int argc, char** argv) {
  const std::string mode = argv[1];
  std::string page;
  if (mode == "page") page.assign(std::strtoul(argv[3], nullptr, 10), 'x');
  const int events = argc > 3 ? std::atoi(argv[3]) : 0;
  const int interval_ms = argc > 4 ? std::atoi(argv[4]) : 0;
  FCGX_Request request;
  FCGX_InitRequest(&request, socket, 0);
  while (FCGX_Accept_r(&request) == 0) {
    if (mode == "page") {
      // (libfcgi's own printf knows no %zu: the head is built here)
      std::string head = "Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                         "Content-Length: " + std::to_string(page.size()) + "\r\n\r\n";
      FCGX_PutStr(head.data(), static_cast<int>(head.size()), request.out);
      FCGX_PutStr(page.data(), static_cast<int>(page.size()), request.out);
    } else {
      FCGX_FPrintF(request.out, "Status: 200 OK\r\nContent-Type: text/event-stream\r\n\r\n");
      FCGX_FFlush(request.out);
      for (int i = 0; i < events; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
        std::string event = "event: token\ndata: {\"text\":\"" + std::to_string(now_ns()) + ";\"}\n\n";
        FCGX_PutStr(event.data(), static_cast<int>(event.size()), request.out);
        FCGX_FFlush(request.out);
      }
      FCGX_FPrintF(request.out, "event: done\ndata: {}\n\n");
    }
    FCGX_Finish_r(&request);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: floor page HOST:PORT BYTES | floor stream HOST:PORT N INTERVAL_MS\n");
    return 2;
  }
  FCGX_Init();
  int socket = FCGX_OpenSocket(argv[2], 128);
  if (socket < 0) {
    std::fprintf(stderr, "floor: cannot listen on %s\n", argv[2]);
    return 6;
  }
  // SIGTERM ends the floor at once. Left to libfcgi it only sets a flag, which the threads
  // blocked in accept() never see.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back(serve, socket, argc, argv);
  int signal = 0;
  sigwait(&stop, &signal);
  std::_Exit(0);
}
