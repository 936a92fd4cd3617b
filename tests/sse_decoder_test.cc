// SSE decoding, table-driven from tests/data/sse/NAME.sse (input bytes) and NAME.events
// (expected events, "TYPE<TAB>DATA" per line, \n \r \\ escaped). Every case is also fed
// split at every byte position and one byte at a time: chunking never changes the result.
#define BOOST_TEST_MODULE sse_decoder
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "resume_chat/sse_decoder.h"

using namespace resume_chat;

namespace {

const char* const kDir = "tests/data/sse/";

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    char c = text[++i];
    out += c == 'n' ? '\n' : c == 'r' ? '\r' : c;
  }
  return out;
}

std::vector<std::string> expected_events(const std::string& name) {
  std::vector<std::string> events;
  std::istringstream lines(read_file(kDir + name + ".events"));
  std::string line;
  while (std::getline(lines, line)) {
    size_t tab = line.find('\t');
    events.push_back(line.substr(0, tab) + "|" + unescape(line.substr(tab + 1)));
  }
  return events;
}

std::vector<std::string> decode(const std::vector<std::string>& chunks) {
  std::vector<std::string> events;
  SseDecoder decoder;
  for (const auto& chunk : chunks) {
    BOOST_REQUIRE(decoder.feed(chunk, [&](const SseEvent& e) {
      events.push_back(e.type + "|" + e.data);
      return true;
    }));
  }
  return events;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  DIR* dir = opendir(kDir);
  BOOST_REQUIRE(dir != nullptr);
  while (dirent* entry = readdir(dir)) {
    std::string file = entry->d_name;
    if (file.size() > 4 && file.compare(file.size() - 4, 4, ".sse") == 0) {
      names.push_back(file.substr(0, file.size() - 4));
    }
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_case_whole) {
  auto names = case_names();
  BOOST_TEST(names.size() >= 16u);
  for (const auto& name : names) {
    BOOST_TEST(decode({read_file(kDir + name + ".sse")}) == expected_events(name), name);
  }
}

BOOST_AUTO_TEST_CASE(every_case_at_every_split_point) {
  for (const auto& name : case_names()) {
    std::string input = read_file(kDir + name + ".sse");
    auto expected = expected_events(name);
    for (size_t at = 0; at <= input.size(); ++at) {
      BOOST_TEST(decode({input.substr(0, at), input.substr(at)}) == expected, name << " @" << at);
    }
    std::vector<std::string> bytes;
    for (char c : input) bytes.emplace_back(1, c);
    BOOST_TEST(decode(bytes) == expected, name << " byte by byte");
  }
}

BOOST_AUTO_TEST_CASE(three_way_splits_of_crlf_and_utf8) {
  const std::string input = "data: \xD0\xB8\xD0\xB7\r\n\r\nevent: e\r\ndata: \xF0\x9F\x98\x80\r\n\r\n";
  const std::vector<std::string> expected = {"message|\xD0\xB8\xD0\xB7", "e|\xF0\x9F\x98\x80"};
  for (size_t a = 0; a <= input.size(); ++a) {
    for (size_t b = a; b <= input.size(); ++b) {
      BOOST_TEST(decode({input.substr(0, a), input.substr(a, b - a), input.substr(b)}) == expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(line_length_limit_fails_the_stream) {
  SseDecoder decoder(16);
  auto ignore = [](const SseEvent&) { return true; };
  BOOST_TEST(decoder.feed("data: short\n\n", ignore));
  BOOST_TEST(!decoder.feed("data: 0123456789abcdef", ignore));
  BOOST_TEST(decoder.failed());
  BOOST_TEST(!decoder.feed("\n\n", ignore));  // stays failed
}

BOOST_AUTO_TEST_CASE(callback_can_stop_the_decoder) {
  SseDecoder decoder;
  int seen = 0;
  bool ok = decoder.feed("data: 1\n\ndata: 2\n\n", [&](const SseEvent&) { return ++seen < 1; });
  BOOST_TEST(!ok);
  BOOST_TEST(seen == 1);
}
