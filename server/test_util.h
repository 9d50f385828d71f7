// Helpers for the server unit tests: a temporary directory removed when it goes out of scope
// (also when a test fails), and a storage opened in it.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "storage.h"

namespace sealfs {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sealfs-server-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Small memtables so that tests reach flushes and compactions quickly.
inline StorageOptions TestStorageOptions() {
  StorageOptions options;
  options.metadata_write_buffer_bytes = 1U << 20;
  options.block_cache_bytes = 8U << 20;
  return options;
}

inline std::unique_ptr<Storage> OpenTestStorage(const std::string& dir) {
  std::unique_ptr<Storage> storage;
  Status status = Storage::Open(dir, TestStorageOptions(), &storage);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return storage;
}

}  // namespace sealfs
