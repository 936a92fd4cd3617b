// Test support: the hostile files of tests/documents/make-hostile (a PDF stream inflating to
// 16 MB of overlapping text, a zip bomb, `&#0;`, …), made once per test binary in a fresh
// temporary directory, removed at exit.
#ifndef RESUME_CHAT_TESTS_SUPPORT_HOSTILE_FILES_H_
#define RESUME_CHAT_TESTS_SUPPORT_HOSTILE_FILES_H_

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace test_support {

class HostileDir {
 public:
  // Runs make-hostile from the repository root, where the tests run.
  HostileDir() {
    char pattern[] = "/tmp/resume-chat-hostile.XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    if (std::system(("tests/documents/make-hostile " + path_).c_str()) != 0) {
      throw std::runtime_error("tests/documents/make-hostile failed");
    }
  }
  ~HostileDir() { (void)std::system(("rm -rf " + path_).c_str()); }
  HostileDir(const HostileDir&) = delete;
  HostileDir& operator=(const HostileDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string hostile(const std::string& name) {
  static const HostileDir dir;
  return dir.path() + "/" + name;
}

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_HOSTILE_FILES_H_
