// The open-files budget of the stream capacity (file_limit.h).
#include "resume_chat/file_limit.h"

#include <sys/resource.h>

#include <algorithm>

namespace resume_chat {
namespace {

bool multiplexed(const Config& config) {
  return config.anthropic_base_url.rfind("https://", 0) == 0;
}

// The threads' sockets, the pool, the listening socket, logs, libraries: a margin.
long fixed_needs(const Config& config) { return config.threads + config.database.pool_max + 64; }

}  // namespace

long descriptors_needed(const Config& config, long capacity) {
  const long upstream = multiplexed(config) ? capacity / 50 + 8 : capacity;
  return capacity + upstream + fixed_needs(config);
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
  // Each stream costs one file, plus 1/50 of one (or a whole one) for the API's connections.
  const long room = open_files_limit - fixed_needs(config) - (multiplexed(config) ? 8 : 0);
  const long per_50 = multiplexed(config) ? 51 : 100;
  fit.capacity = static_cast<int>(std::max(1L, room * 50 / per_50));
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
