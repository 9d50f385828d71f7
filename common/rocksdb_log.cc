#include "rocksdb_log.h"

#include <cstdarg>
#include <cstdio>

#include "rocksdb/env.h"
#include "spdlog/spdlog.h"

namespace sealfs {

namespace {

class SpdlogRocksDbLogger : public rocksdb::Logger {
 public:
  SpdlogRocksDbLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list args) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, args);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      spdlog::error("rocksdb: {}", line);
    } else {
      spdlog::warn("rocksdb: {}", line);
    }
  }
  void Logv(const char* format, va_list args) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, args);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> MakeSpdlogRocksDbLogger() {
  return std::make_shared<SpdlogRocksDbLogger>();
}

}  // namespace sealfs
