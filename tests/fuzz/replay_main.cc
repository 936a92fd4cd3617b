// Runs a libFuzzer target over its committed corpus without libFuzzer, so `make test`
// replays every seed and every crash ever found (a plain g++ build; sanitizers optional).
#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static int replay_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  std::string input = bytes.str();
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  return 1;
}

int main(int argc, char** argv) {
  int files = 0;
  for (int i = 1; i < argc; ++i) {
    DIR* dir = opendir(argv[i]);
    if (dir == nullptr) {
      files += replay_file(argv[i]);
      continue;
    }
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      files += replay_file(std::string(argv[i]) + "/" + entry->d_name);
    }
    closedir(dir);
  }
  std::printf("%s: replayed %d inputs\n", argv[0], files);
  return files > 0 ? 0 : 1;
}
