// The server's RocksDB writes no info LOG file into its data dir (see common/rocksdb_log.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chunk_store.h"
#include "rocksdb/write_batch.h"
#include "rocksdb_log_testing.h"
#include "test_util.h"

namespace sealfs {
namespace {

TEST(StorageLogTest, NoLogFileInTheDataDir) {
  TempDir dir;
  {
    std::unique_ptr<Storage> storage = OpenTestStorage(dir.path());
    ASSERT_NE(storage, nullptr);
    ChunkStore chunks(storage.get());
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(chunks.WriteChunk(1, 0, 0, std::string(4096, 'x'), 0, &batch).ok());
    ASSERT_TRUE(storage->WriteLocal(&batch, /*sync=*/true).ok());
    ASSERT_TRUE(storage->CompactAll().ok());  // flushes and compacts: RocksDB logs both
    ASSERT_TRUE(storage->Close().ok());
  }
  EXPECT_EQ(RocksDbLogFilesUnder(dir.path()), std::vector<std::string>{});
}

}  // namespace
}  // namespace sealfs
