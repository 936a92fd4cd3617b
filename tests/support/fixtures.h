// Test support: the document files of tests/documents/make-fixtures (real PDFs, DOCX, PNG,
// …), made once per test binary in a fresh temporary directory, removed at exit.
#ifndef RESUME_CHAT_TESTS_SUPPORT_FIXTURES_H_
#define RESUME_CHAT_TESTS_SUPPORT_FIXTURES_H_

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace test_support {

class FixtureDir {
 public:
  // Runs make-fixtures from the repository root, where the tests run.
  FixtureDir() {
    char pattern[] = "/tmp/resume-chat-fixtures.XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    if (std::system(("tests/documents/make-fixtures " + path_).c_str()) != 0) {
      throw std::runtime_error("tests/documents/make-fixtures failed (is qpdf installed?)");
    }
  }
  ~FixtureDir() { (void)std::system(("rm -rf " + path_).c_str()); }
  FixtureDir(const FixtureDir&) = delete;
  FixtureDir& operator=(const FixtureDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string fixture(const std::string& name) {
  static const FixtureDir dir;
  return dir.path() + "/" + name;
}

}  // namespace test_support

#endif  // RESUME_CHAT_TESTS_SUPPORT_FIXTURES_H_
