// The bytes a test worker writes, so that the test can check them without talking to it.
#pragma once

#include <cstddef>
#include <string>

namespace sealfs::test {

// Content of file `index` written by worker `worker`: `size` bytes of a pattern unique to both.
inline std::string WorkerPattern(int worker, int index, std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t j = 0; j < size; ++j) {
    out[j] = static_cast<char>(
        (worker * 131 + index * 31 + static_cast<int>(j * 7) + static_cast<int>(j / 251)) & 0xff);
  }
  return out;
}

}  // namespace sealfs::test
