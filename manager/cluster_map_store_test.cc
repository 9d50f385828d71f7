#include "cluster_map_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <memory>
#include <string>

#include "test_util.h"

namespace sealfs::manager {
namespace {

proto::ClusterMap SampleMap() {
  proto::ClusterMap map;
  map.set_epoch(7);
  map.set_default_chunk_size(1U << 20);
  auto* a = map.add_servers();
  a->set_id(3);
  a->set_address("127.0.0.1:7001");
  a->set_state(proto::SERVER_UP);
  auto* b = map.add_servers();
  b->set_id(9);
  b->set_address("127.0.0.1:7002");
  b->set_state(proto::SERVER_DOWN);
  return map;
}

// Writes one raw key into the store's database, as a future or broken version might have.
void PutRaw(const std::string& data_dir, std::string_view key, const std::string& value) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, data_dir + "/db", &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  ASSERT_TRUE(db->Put(write_options, rocksdb::Slice(key.data(), key.size()), value).ok());
  ASSERT_TRUE(db->Close().ok());
}

TEST(ClusterMapStoreTest, EmptyStoreHasNoMap) {
  TempDir dir;
  const std::string data_dir = dir.path() + "/nested/data";  // created on open
  std::unique_ptr<ClusterMapStore> store;
  ASSERT_TRUE(ClusterMapStore::Open(data_dir, &store).ok());
  EXPECT_TRUE(std::filesystem::is_directory(data_dir + "/db"));
  proto::ClusterMap map;
  map.set_epoch(99);
  bool found = true;
  ASSERT_TRUE(store->Load(&map, &found).ok());
  EXPECT_FALSE(found);
  EXPECT_EQ(map.epoch(), 0U);
}

TEST(ClusterMapStoreTest, SavedMapSurvivesReopen) {
  TempDir dir;
  const proto::ClusterMap saved = SampleMap();
  {
    std::unique_ptr<ClusterMapStore> store;
    ASSERT_TRUE(ClusterMapStore::Open(dir.path(), &store).ok());
    ASSERT_TRUE(store->Save(saved).ok());
  }
  std::unique_ptr<ClusterMapStore> store;
  ASSERT_TRUE(ClusterMapStore::Open(dir.path(), &store).ok());
  proto::ClusterMap loaded;
  bool found = false;
  ASSERT_TRUE(store->Load(&loaded, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(loaded.SerializeAsString(), saved.SerializeAsString());
}

TEST(ClusterMapStoreTest, SaveReplacesTheMap) {
  TempDir dir;
  std::unique_ptr<ClusterMapStore> store;
  ASSERT_TRUE(ClusterMapStore::Open(dir.path(), &store).ok());
  proto::ClusterMap map = SampleMap();
  ASSERT_TRUE(store->Save(map).ok());
  map.set_epoch(8);
  map.mutable_servers(1)->set_state(proto::SERVER_UP);
  ASSERT_TRUE(store->Save(map).ok());
  proto::ClusterMap loaded;
  bool found = false;
  ASSERT_TRUE(store->Load(&loaded, &found).ok());
  EXPECT_EQ(loaded.epoch(), 8U);
  EXPECT_EQ(loaded.servers(1).state(), proto::SERVER_UP);
}

TEST(ClusterMapStoreTest, SecondOpenOfTheSameDirectoryFails) {
  TempDir dir;
  std::unique_ptr<ClusterMapStore> first;
  ASSERT_TRUE(ClusterMapStore::Open(dir.path(), &first).ok());
  std::unique_ptr<ClusterMapStore> second;
  Status s = ClusterMapStore::Open(dir.path(), &second);
  EXPECT_EQ(s.code(), proto::STATUS_IO_ERROR) << s.ToString();
  EXPECT_EQ(second, nullptr);
}

TEST(ClusterMapStoreTest, UnknownFormatVersionIsRefused) {
  TempDir dir;
  PutRaw(dir.path(), kFormatVersionKey, "99");
  std::unique_ptr<ClusterMapStore> store;
  EXPECT_EQ(ClusterMapStore::Open(dir.path(), &store).code(), proto::STATUS_INVALID);
}

TEST(ClusterMapStoreTest, CorruptMapIsAnIoError) {
  TempDir dir;
  PutRaw(dir.path(), kClusterMapKey, "\xff\xff\xff");
  std::unique_ptr<ClusterMapStore> store;
  ASSERT_TRUE(ClusterMapStore::Open(dir.path(), &store).ok());
  proto::ClusterMap map;
  bool found = true;
  EXPECT_EQ(store->Load(&map, &found).code(), proto::STATUS_IO_ERROR);
  EXPECT_FALSE(found);
}

}  // namespace
}  // namespace sealfs::manager
