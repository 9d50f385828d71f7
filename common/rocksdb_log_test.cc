#include "rocksdb_log.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "rocksdb_log_testing.h"

namespace sealfs {
namespace {

// Sends spdlog's default logger into a string for the life of the object.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  [[nodiscard]] std::string text() const { return text_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream text_;
};

TEST(RocksDbLogTest, WarningsAndErrorsReachSpdlogInfoLinesDoNot) {
  CapturedLog log;
  const std::shared_ptr<rocksdb::Logger> logger = MakeSpdlogRocksDbLogger();
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, logger, "flush %d done", 1);
  rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, logger, "slow %s", "writes");
  rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, logger, "no space: %d", 28);
  const std::string text = log.text();
  EXPECT_EQ(text.find("flush 1 done"), std::string::npos) << text;
  EXPECT_NE(text.find("[warning] rocksdb: slow writes"), std::string::npos) << text;
  EXPECT_NE(text.find("[error] rocksdb: no space: 28"), std::string::npos) << text;
}

// A fresh temp dir, removed on destruction (also when an assertion fails).
class RocksDbLogDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / "sealfs-rocksdb-log-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_.data()), nullptr);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Opens a database under dir_/name with `logger` as its info log, writes, flushes, closes.
  void UseDatabase(const std::string& name, std::shared_ptr<rocksdb::Logger> logger) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.info_log = std::move(logger);
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_ + "/" + name, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "key", "value").ok());
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
    ASSERT_TRUE(db->Close().ok());
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/" + name + "/CURRENT"));
  }

  std::string dir_;
};

TEST_F(RocksDbLogDirTest, ADatabaseWithItWritesNoLogFile) {
  UseDatabase("db", MakeSpdlogRocksDbLogger());
  EXPECT_EQ(RocksDbLogFilesUnder(dir_), std::vector<std::string>{});
}

// The check above can fail: RocksDB's default writes a LOG file that it finds.
TEST_F(RocksDbLogDirTest, WithoutItRocksDbWritesALogFileIntoTheDatabaseDir) {
  UseDatabase("db", nullptr);
  EXPECT_EQ(RocksDbLogFilesUnder(dir_), std::vector<std::string>{dir_ + "/db/LOG"});
}

}  // namespace
}  // namespace sealfs
