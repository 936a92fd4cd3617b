// Open files for the stream capacity. Every stream holds its FastCGI connection open, plus
// its share of the engine's connections to the API (ClaudeEngine::api_connections), so the
// capacity needs file descriptors: the soft limit is raised to the hard one at start, an
// explicit STREAM_CAPACITY that still cannot fit stops the worker, and the default capacity
// is lowered to what fits (a container runtime's hard limit of 1024, say), with a warning.
#ifndef RESUME_CHAT_FILE_LIMIT_H_
#define RESUME_CHAT_FILE_LIMIT_H_

#include <string>

#include "resume_chat/config.h"

namespace resume_chat {

// File descriptors a worker of `capacity` streams may need at once.
long descriptors_needed(const Config& config, long capacity);

struct StreamCapacity {
  long open_files_limit = 0;
  int capacity = 0;      // what the worker will allow
  bool lowered = false;  // the default did not fit and was lowered
  std::string error;     // an explicit STREAM_CAPACITY does not fit: one line saying so
};

// The capacity that `open_files_limit` carries, given the settings.
StreamCapacity fit_stream_capacity(const Config& config, long open_files_limit);

// Raises this process's soft limit on open files to its hard limit; returns the new limit.
long raise_open_files_limit();

}  // namespace resume_chat

#endif  // RESUME_CHAT_FILE_LIMIT_H_
