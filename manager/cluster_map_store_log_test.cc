// The manager's RocksDB writes no info LOG file into its data dir (see common/rocksdb_log.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cluster_map_store.h"
#include "rocksdb_log_testing.h"
#include "test_util.h"

namespace sealfs::manager {
namespace {

TEST(ClusterMapStoreLogTest, NoLogFileInTheDataDir) {
  TempDir dir;
  for (int reopen = 0; reopen < 2; ++reopen) {
    std::unique_ptr<ClusterMapStore> store;
    ASSERT_TRUE(ClusterMapStore::Open(dir.path(), &store).ok());
    proto::ClusterMap map;
    map.set_epoch(1 + reopen);
    ASSERT_TRUE(store->Save(map).ok());
  }
  ASSERT_TRUE(std::filesystem::exists(dir.path() + "/db/CURRENT")) << "the database is there";
  EXPECT_EQ(RocksDbLogFilesUnder(dir.path()), std::vector<std::string>{});
}

}  // namespace
}  // namespace sealfs::manager
