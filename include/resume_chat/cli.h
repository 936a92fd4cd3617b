// `resume-chat COMMAND …`: the operator's commands, in the worker's own binary. With no
// arguments the binary serves (main.cc); with any, main hands them here and exits with
// what this returns. Commands read the worker's settings (the environment, then .env).
//
//   resume-chat help | COMMAND --help
//   resume-chat documents put NAME RESUME_FILE JD_FILE | list | delete NAME
//   resume-chat link NAME [--expires DURATION]
//   resume-chat transcript SESSION_UUID | --document NAME
//
// Exit status: 0 done; 1 refused (a file or NAME that cannot be stored, nothing found);
// 2 usage or configuration; 3 database.
#ifndef RESUME_CHAT_CLI_H_
#define RESUME_CHAT_CLI_H_

#include <string>
#include <vector>

#include "resume_chat/config.h"

namespace resume_chat {

enum CliExit { kCliOk = 0, kCliRefused = 1, kCliUsage = 2, kCliDatabase = 3 };

// Runs the command in `args` (argv without the program name) with settings from `env`;
// writes results to stdout and errors to stderr; returns the exit status. Never throws.
int run_command(const std::vector<std::string>& args, const EnvLookup& env);

// main's entry: loads .env into the environment first, as the worker does.
int run_cli(int argc, char** argv);

}  // namespace resume_chat

#endif  // RESUME_CHAT_CLI_H_
