// The open-files budget of the stream capacity (file_limit.h).
#include "resume_chat/file_limit.h"

#include <sys/resource.h>

#include "resume_chat/claude_engine.h"

namespace resume_chat {
namespace {

// The threads' sockets, the pool, the listening socket, logs, libraries: a margin.
long fixed_needs(const Config& config) { return config.threads + config.database.pool_max + 64; }

}  // namespace

long descriptors_needed(const Config& config, long capacity) {
  return capacity + ClaudeEngine::api_connections(config.anthropic_base_url, capacity) +
         fixed_needs(config);
}

StreamCapacity fit_stream_capacity(const Config& config, long open_files_limit) {
  StreamCapacity fit;
  fit.open_files_limit = open_files_limit;
  fit.capacity = config.stream_capacity;
  const long needed = descriptors_needed(config, config.stream_capacity);
  if (open_files_limit >= needed) return fit;
  if (config.stream_capacity_set) {
    fit.error = "STREAM_CAPACITY=" + std::to_string(config.stream_capacity) + " needs about " +
                std::to_string(needed) + " open files, but the limit is " +
                std::to_string(open_files_limit) +
                ": raise it (systemd LimitNOFILE=, docker --ulimit nofile=) or lower STREAM_CAPACITY";
    return fit;
  }
  // The largest capacity that fits (what it needs only grows with it).
  long low = 1, high = config.stream_capacity;
  while (low < high) {
    const long middle = (low + high + 1) / 2;
    if (descriptors_needed(config, middle) <= open_files_limit) {
      low = middle;
    } else {
      high = middle - 1;
    }
  }
  fit.capacity = static_cast<int>(low);
  fit.lowered = true;
  return fit;
}

long raise_open_files_limit() {
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    getrlimit(RLIMIT_NOFILE, &files);
  }
  return files.rlim_cur == RLIM_INFINITY ? 1L << 20 : static_cast<long>(files.rlim_cur);
}

}  // namespace resume_chat
