// The escape policy main() installs before any rendering, installed once for a whole test
// program: include this from exactly one file of the program.
#ifndef RESUME_CHAT_TESTS_SUPPORT_ESCAPE_POLICY_H_
#define RESUME_CHAT_TESTS_SUPPORT_ESCAPE_POLICY_H_

#include <boost/test/unit_test.hpp>

#include "resume_chat/mustache.h"

namespace resume_chat {

struct EscapePolicyInstalled {
  EscapePolicyInstalled() { install_escape_policy(); }
};
BOOST_TEST_GLOBAL_FIXTURE(EscapePolicyInstalled);

}  // namespace resume_chat

#endif  // RESUME_CHAT_TESTS_SUPPORT_ESCAPE_POLICY_H_
