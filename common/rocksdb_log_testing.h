// For the tests of the processes that run RocksDB: the info log files RocksDB wrote under a
// directory. With MakeSpdlogRocksDbLogger() in place there must be none.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace sealfs {

// Paths of the files named LOG or LOG.* (RocksDB's info log and its rolled-over copies) under
// `dir`, at any depth.
inline std::vector<std::string> RocksDbLogFilesUnder(const std::string& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == "LOG" || name.rfind("LOG.", 0) == 0) found.push_back(entry.path().string());
  }
  return found;
}

}  // namespace sealfs
