#include "metadata_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "rocksdb/write_batch.h"
#include "test_util.h"

namespace sealfs {
namespace {

constexpr uint64_t kRoot = 1;

class MetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    storage_ = OpenTestStorage(dir_.path());
    ASSERT_NE(storage_, nullptr);
    store_ = std::make_unique<MetadataStore>(storage_.get());
  }

  // Decides a write with the store and applies it here, as the request handler commits it.
  Status Apply(const std::function<Status(rocksdb::WriteBatch*)>& decide) {
    rocksdb::WriteBatch batch;
    Status status = decide(&batch);
    if (status.ok() && batch.Count() > 0) status = storage_->WriteLocal(&batch, /*sync=*/false);
    return status;
  }
  void Reopen() {
    store_.reset();
    storage_.reset();
    Open();
  }

  static proto::InodeAttr Attr(uint64_t ino, uint32_t mode, uint32_t nlink = 1) {
    proto::InodeAttr attr;
    attr.set_ino(ino);
    attr.set_mode(mode);
    attr.set_nlink(nlink);
    attr.set_chunk_size(1U << 20);
    return attr;
  }

  Status Create(uint64_t parent, const std::string& name, uint64_t ino,
                uint32_t mode = S_IFREG | 0644, bool exclusive = true,
                proto::CreateReply* out = nullptr) {
    proto::CreateRequest request;
    request.set_parent(parent);
    request.set_name(name);
    *request.mutable_attr() = Attr(ino, mode, (mode & S_IFMT) == S_IFDIR ? 2 : 1);
    request.set_exclusive(exclusive);
    proto::CreateReply reply;
    return Apply([&](rocksdb::WriteBatch* batch) {
      return store_->Create(request, out != nullptr ? out : &reply, batch);
    });
  }

  Status Lookup(uint64_t parent, const std::string& name, proto::LookupReply* reply) {
    proto::LookupRequest request;
    request.set_parent(parent);
    request.set_name(name);
    return store_->Lookup(request, reply);
  }

  Status SetAttr(const proto::SetAttrRequest& request, proto::SetAttrReply* reply = nullptr) {
    proto::SetAttrReply ignored;
    return Apply([&](rocksdb::WriteBatch* batch) {
      return store_->SetAttr(request, reply != nullptr ? reply : &ignored, batch);
    });
  }

  StatusCode GetAttrCode(uint64_t ino) {
    proto::GetAttrRequest request;
    request.set_ino(ino);
    proto::GetAttrReply reply;
    return store_->GetAttr(request, &reply).code();
  }

  Status Insert(uint64_t parent, const std::string& name, uint64_t ino, uint64_t expected) {
    proto::InsertDentryRequest request;
    request.set_parent(parent);
    request.set_name(name);
    request.mutable_entry()->set_ino(ino);
    request.mutable_entry()->set_type(S_IFREG);
    request.set_expected_ino(expected);
    return Apply([&](rocksdb::WriteBatch* batch) { return store_->InsertDentry(request, batch); });
  }

  Status Remove(uint64_t parent, const std::string& name, uint64_t expected, bool unlink,
                proto::RemoveDentryReply* reply) {
    proto::RemoveDentryRequest request;
    request.set_parent(parent);
    request.set_name(name);
    request.set_expected_ino(expected);
    request.set_unlink_inode(unlink);
    return Apply(
        [&](rocksdb::WriteBatch* batch) { return store_->RemoveDentry(request, reply, batch); });
  }

  Status SetXattr(uint64_t ino, const std::string& name, const std::string& value, int flags) {
    proto::SetXattrRequest request;
    request.set_ino(ino);
    request.set_name(name);
    request.set_flags(flags);
    return Apply(
        [&](rocksdb::WriteBatch* batch) { return store_->SetXattr(request, value, batch); });
  }

  Status GetXattr(uint64_t ino, const std::string& name, std::string* value) {
    proto::GetXattrRequest request;
    request.set_ino(ino);
    request.set_name(name);
    return store_->GetXattr(request, value);
  }

  std::vector<std::string> ListXattr(uint64_t ino) {
    proto::ListXattrRequest request;
    request.set_ino(ino);
    proto::ListXattrReply reply;
    EXPECT_TRUE(store_->ListXattr(request, &reply).ok());
    return {reply.names().begin(), reply.names().end()};
  }

  TempDir dir_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<MetadataStore> store_;
};

TEST_F(MetadataStoreTest, CreateThenLookup) {
  proto::CreateReply created;
  ASSERT_TRUE(Create(kRoot, "file", 100, S_IFREG | 0640, true, &created).ok());
  EXPECT_TRUE(created.created());
  EXPECT_EQ(created.entry().ino(), 100U);
  EXPECT_EQ(created.entry().type(), static_cast<uint32_t>(S_IFREG));
  EXPECT_TRUE(created.has_attr());

  proto::LookupReply found;
  ASSERT_TRUE(Lookup(kRoot, "file", &found).ok());
  EXPECT_EQ(found.entry().ino(), 100U);
  ASSERT_TRUE(found.has_attr());
  EXPECT_EQ(found.attr().mode(), static_cast<uint32_t>(S_IFREG | 0640));
  EXPECT_EQ(found.attr().nlink(), 1U);

  proto::LookupReply missing;
  EXPECT_EQ(Lookup(kRoot, "other", &missing).code(), proto::STATUS_NOT_FOUND);
  EXPECT_EQ(Lookup(2, "file", &missing).code(), proto::STATUS_NOT_FOUND);
  EXPECT_EQ(storage_->inode_count(), 1U);
}

TEST_F(MetadataStoreTest, LookupWithoutLocalInodeHasNoAttr) {
  ASSERT_TRUE(Insert(kRoot, "remote", 555, 0).ok());
  proto::LookupReply reply;
  ASSERT_TRUE(Lookup(kRoot, "remote", &reply).ok());
  EXPECT_EQ(reply.entry().ino(), 555U);
  EXPECT_FALSE(reply.has_attr());
}

TEST_F(MetadataStoreTest, RootIsAnInodeWithoutAnEntry) {
  proto::CreateRequest request;
  request.set_parent(0);
  *request.mutable_attr() = Attr(kRoot, S_IFDIR | 0755, 2);
  proto::CreateReply reply;
  ASSERT_TRUE(Apply([&](rocksdb::WriteBatch* batch) {
                return store_->Create(request, &reply, batch);
              }).ok());
  EXPECT_TRUE(reply.created());
  proto::GetAttrRequest get;
  get.set_ino(kRoot);
  proto::GetAttrReply attr;
  ASSERT_TRUE(store_->GetAttr(get, &attr).ok());
  EXPECT_TRUE(S_ISDIR(attr.attr().mode()));
  EXPECT_EQ(Apply([&](rocksdb::WriteBatch* batch) {
              return store_->Create(request, &reply, batch);
            }).code(),
            proto::STATUS_EXISTS);
  proto::ReadDirRequest list;
  list.set_parent(0);
  proto::ReadDirReply entries;
  ASSERT_TRUE(store_->ReadDir(list, &entries).ok());
  EXPECT_EQ(entries.entries_size(), 0) << "the root has no entry";
}

TEST_F(MetadataStoreTest, CreateExisting) {
  ASSERT_TRUE(Create(kRoot, "f", 100).ok());
  EXPECT_EQ(Create(kRoot, "f", 101, S_IFREG | 0644, true).code(), proto::STATUS_EXISTS);
  proto::CreateReply reply;
  ASSERT_TRUE(Create(kRoot, "f", 102, S_IFREG | 0644, false, &reply).ok());
  EXPECT_FALSE(reply.created());
  EXPECT_EQ(reply.entry().ino(), 100U);
  EXPECT_TRUE(reply.has_attr());
  EXPECT_EQ(reply.attr().ino(), 100U);
  // Neither attempt left an inode behind.
  EXPECT_EQ(GetAttrCode(101), proto::STATUS_NOT_FOUND);
  EXPECT_EQ(GetAttrCode(102), proto::STATUS_NOT_FOUND);
  EXPECT_EQ(storage_->inode_count(), 1U);
}

TEST_F(MetadataStoreTest, CreateWithTakenInodeNumberConflicts) {
  ASSERT_TRUE(Create(kRoot, "a", 100).ok());
  EXPECT_EQ(Create(kRoot, "b", 100).code(), proto::STATUS_CONFLICT);
  proto::LookupReply reply;
  EXPECT_EQ(Lookup(kRoot, "b", &reply).code(), proto::STATUS_NOT_FOUND);
}

TEST_F(MetadataStoreTest, BadNamesAndRequests) {
  EXPECT_EQ(Create(kRoot, "", 100).code(), proto::STATUS_INVALID);
  EXPECT_EQ(Create(kRoot, ".", 100).code(), proto::STATUS_INVALID);
  EXPECT_EQ(Create(kRoot, "..", 100).code(), proto::STATUS_INVALID);
  EXPECT_EQ(Create(kRoot, "a/b", 100).code(), proto::STATUS_INVALID);
  EXPECT_EQ(Create(kRoot, std::string("a\0b", 3), 100).code(), proto::STATUS_INVALID);
  EXPECT_EQ(Create(kRoot, std::string(256, 'x'), 100).code(), proto::STATUS_NAME_TOO_LONG);
  for (uint32_t chunk_size : {0U, 1000U, 2048U, 128U << 20}) {
    proto::CreateRequest request;
    request.set_parent(kRoot);
    request.set_name("bad-chunks");
    *request.mutable_attr() = Attr(100, S_IFREG | 0644, 1);
    request.mutable_attr()->set_chunk_size(chunk_size);
    proto::CreateReply reply;
    EXPECT_EQ(Apply([&](rocksdb::WriteBatch* batch) {
                return store_->Create(request, &reply, batch);
              }).code(),
              proto::STATUS_INVALID)
        << chunk_size;
  }
  EXPECT_TRUE(Create(kRoot, std::string(255, 'x'), 100).ok());
  EXPECT_EQ(Create(kRoot, "zero", 0).code(), proto::STATUS_INVALID);
  EXPECT_EQ(Create(kRoot, "notype", 101, 0644).code(), proto::STATUS_INVALID);
  proto::LookupReply reply;
  EXPECT_EQ(Lookup(kRoot, "..", &reply).code(), proto::STATUS_INVALID);
  EXPECT_EQ(Insert(kRoot, "", 5, 0).code(), proto::STATUS_INVALID);
}

TEST_F(MetadataStoreTest, SetAttrChangesOnlySetFields) {
  ASSERT_TRUE(Create(kRoot, "f", 100, S_IFREG | 0644).ok());
  proto::SetAttrRequest request;
  request.set_ino(100);
  request.set_mode(S_IFDIR | 04755);  // the type bits are ignored
  request.set_uid(7);
  request.set_size_at_least(50);
  request.mutable_mtime()->set_sec(1234);
  proto::SetAttrReply reply;
  ASSERT_TRUE(SetAttr(request, &reply).ok());
  EXPECT_EQ(reply.attr().mode(), static_cast<uint32_t>(S_IFREG | 04755));
  EXPECT_EQ(reply.attr().uid(), 7U);
  EXPECT_EQ(reply.attr().gid(), 0U);
  EXPECT_EQ(reply.attr().size(), 50U);
  EXPECT_EQ(reply.attr().mtime().sec(), 1234);
  EXPECT_FALSE(reply.attr().has_atime());
  EXPECT_EQ(reply.attr().chunk_size(), 1U << 20);

  proto::SetAttrRequest shrink_floor;
  shrink_floor.set_ino(100);
  shrink_floor.set_size_at_least(10);
  ASSERT_TRUE(SetAttr(shrink_floor, &reply).ok());
  EXPECT_EQ(reply.attr().size(), 50U);
  proto::SetAttrRequest exact;
  exact.set_ino(100);
  exact.set_size(3);
  ASSERT_TRUE(SetAttr(exact, &reply).ok());
  EXPECT_EQ(reply.attr().size(), 3U);

  Reopen();
  proto::GetAttrRequest get;
  get.set_ino(100);
  proto::GetAttrReply got;
  ASSERT_TRUE(store_->GetAttr(get, &got).ok());
  EXPECT_EQ(got.attr().size(), 3U);
  EXPECT_EQ(got.attr().uid(), 7U);
  EXPECT_EQ(got.attr().mtime().sec(), 1234);

  proto::SetAttrRequest missing;
  missing.set_ino(999);
  EXPECT_EQ(SetAttr(missing).code(), proto::STATUS_NOT_FOUND);
  EXPECT_EQ(GetAttrCode(999), proto::STATUS_NOT_FOUND);
}

TEST_F(MetadataStoreTest, NlinkReachingZeroRemovesFileAndXattrs) {
  ASSERT_TRUE(Create(kRoot, "f", 100).ok());
  ASSERT_TRUE(SetXattr(100, "user.a", "1", 0).ok());
  proto::SetAttrRequest request;
  request.set_ino(100);
  request.set_nlink_delta(1);
  proto::SetAttrReply reply;
  ASSERT_TRUE(SetAttr(request, &reply).ok());
  EXPECT_EQ(reply.attr().nlink(), 2U);
  request.set_nlink_delta(-1);
  ASSERT_TRUE(SetAttr(request, &reply).ok());
  EXPECT_FALSE(reply.removed());
  ASSERT_TRUE(SetAttr(request, &reply).ok());
  EXPECT_TRUE(reply.removed());
  EXPECT_EQ(reply.attr().nlink(), 0U);
  EXPECT_EQ(GetAttrCode(100), proto::STATUS_NOT_FOUND);
  EXPECT_EQ(storage_->inode_count(), 0U);
  // A new inode with the same number starts without the old attributes.
  ASSERT_TRUE(Create(kRoot, "g", 100).ok());
  EXPECT_TRUE(ListXattr(100).empty());
}

TEST_F(MetadataStoreTest, NlinkBelowZeroIsInvalidAndZeroRemovesDirectoriesToo) {
  ASSERT_TRUE(Create(kRoot, "d", 200, S_IFDIR | 0755).ok());
  proto::SetAttrRequest request;
  request.set_ino(200);
  request.set_nlink_delta(-3);
  EXPECT_EQ(SetAttr(request).code(), proto::STATUS_INVALID);
  EXPECT_EQ(GetAttrCode(200), proto::STATUS_OK);
  // rmdir of a directory whose inode lives away from its entry takes it to 0 links.
  request.set_nlink_delta(-2);
  proto::SetAttrReply reply;
  ASSERT_TRUE(SetAttr(request, &reply).ok());
  EXPECT_TRUE(reply.removed());
  EXPECT_EQ(GetAttrCode(200), proto::STATUS_NOT_FOUND);
}

TEST_F(MetadataStoreTest, InsertDentryCompareAndSet) {
  EXPECT_EQ(Insert(kRoot, "n", 10, 5).code(), proto::STATUS_NOT_FOUND);
  ASSERT_TRUE(Insert(kRoot, "n", 10, 0).ok());
  EXPECT_EQ(Insert(kRoot, "n", 11, 0).code(), proto::STATUS_EXISTS);
  EXPECT_EQ(Insert(kRoot, "n", 11, 12).code(), proto::STATUS_CONFLICT);
  ASSERT_TRUE(Insert(kRoot, "n", 11, 10).ok());
  proto::LookupReply reply;
  ASSERT_TRUE(Lookup(kRoot, "n", &reply).ok());
  EXPECT_EQ(reply.entry().ino(), 11U);
}

TEST_F(MetadataStoreTest, RemoveDentryChecksAndUnlinks) {
  ASSERT_TRUE(Create(kRoot, "f", 100).ok());
  ASSERT_TRUE(Insert(kRoot, "link", 100, 0).ok());
  proto::SetAttrRequest bump;
  bump.set_ino(100);
  bump.set_nlink_delta(1);
  ASSERT_TRUE(SetAttr(bump).ok());

  proto::RemoveDentryReply reply;
  EXPECT_EQ(Remove(kRoot, "nothing", 0, true, &reply).code(), proto::STATUS_NOT_FOUND);
  EXPECT_EQ(Remove(kRoot, "f", 99, true, &reply).code(), proto::STATUS_CONFLICT);

  reply.Clear();
  ASSERT_TRUE(Remove(kRoot, "f", 100, true, &reply).ok());
  EXPECT_EQ(reply.entry().ino(), 100U);
  EXPECT_TRUE(reply.inode_handled());
  EXPECT_FALSE(reply.inode_removed());
  EXPECT_EQ(GetAttrCode(100), proto::STATUS_OK);

  reply.Clear();
  ASSERT_TRUE(Remove(kRoot, "link", 0, true, &reply).ok());
  EXPECT_TRUE(reply.inode_handled());
  EXPECT_TRUE(reply.inode_removed());
  EXPECT_EQ(GetAttrCode(100), proto::STATUS_NOT_FOUND);
  EXPECT_EQ(storage_->inode_count(), 0U);
}

TEST_F(MetadataStoreTest, RemoveDentryForUnlinkRefusesDirectoriesAndReportsTheInode) {
  ASSERT_TRUE(Create(kRoot, "dir", 300, S_IFDIR | 0755).ok());
  ASSERT_TRUE(Create(kRoot, "file", 301).ok());
  proto::RemoveDentryRequest request;
  request.set_parent(kRoot);
  request.set_name("dir");
  request.set_unlink_inode(true);
  request.set_reject_directory(true);
  proto::RemoveDentryReply reply;
  EXPECT_EQ(Apply([&](rocksdb::WriteBatch* batch) {
              return store_->RemoveDentry(request, &reply, batch);
            }).code(),
            proto::STATUS_IS_DIR);
  EXPECT_EQ(GetAttrCode(300), proto::STATUS_OK) << "a refused unlink leaves the directory";

  ASSERT_TRUE(Insert(kRoot, "second", 301, 0).ok());
  proto::SetAttrRequest add_link;  // what the client sends after inserting a hard link
  add_link.set_ino(301);
  add_link.set_nlink_delta(1);
  ASSERT_TRUE(SetAttr(add_link).ok());
  request.set_name("file");
  request.mutable_ctime()->set_sec(1234);
  ASSERT_TRUE(Apply([&](rocksdb::WriteBatch* batch) {
                return store_->RemoveDentry(request, &reply, batch);
              }).ok());
  EXPECT_TRUE(reply.inode_handled());
  EXPECT_FALSE(reply.inode_removed());
  EXPECT_EQ(reply.attr().ino(), 301U);
  proto::GetAttrRequest get;
  get.set_ino(301);
  proto::GetAttrReply attr;
  ASSERT_TRUE(store_->GetAttr(get, &attr).ok());
  EXPECT_EQ(attr.attr().ctime().sec(), 1234) << "the inode that keeps a link gets the new ctime";
}

TEST_F(MetadataStoreTest, RemoveDentryOfDirectoryAndOfRemoteInode) {
  ASSERT_TRUE(Create(kRoot, "d", 200, S_IFDIR | 0755).ok());
  ASSERT_TRUE(SetXattr(200, "user.x", "v", 0).ok());
  proto::RemoveDentryReply reply;
  ASSERT_TRUE(Remove(kRoot, "d", 0, true, &reply).ok());
  EXPECT_TRUE(reply.inode_removed());
  EXPECT_EQ(GetAttrCode(200), proto::STATUS_NOT_FOUND);

  ASSERT_TRUE(Insert(kRoot, "remote", 300, 0).ok());
  reply.Clear();
  ASSERT_TRUE(Remove(kRoot, "remote", 0, true, &reply).ok());
  EXPECT_FALSE(reply.inode_handled());
  EXPECT_FALSE(reply.inode_removed());

  // Without unlink_inode the inode is left alone.
  ASSERT_TRUE(Create(kRoot, "keep", 400).ok());
  reply.Clear();
  ASSERT_TRUE(Remove(kRoot, "keep", 0, false, &reply).ok());
  EXPECT_FALSE(reply.inode_handled());
  EXPECT_EQ(GetAttrCode(400), proto::STATUS_OK);
}

TEST_F(MetadataStoreTest, ReadDirPagesInNameOrder) {
  constexpr int kCount = 5000;
  std::set<std::string> names;
  for (int i = 0; i < kCount; ++i) {
    std::string name = "entry-" + std::to_string(i * 7919 % 100000);
    names.insert(name);
    ASSERT_TRUE(Insert(kRoot, name, 1000 + i, 0).ok());
  }
  ASSERT_TRUE(Insert(kRoot - 1, "before", 1, 0).ok());  // other directories stay out
  ASSERT_TRUE(Insert(kRoot + 1, "after", 1, 0).ok());
  Reopen();

  for (uint32_t limit : {0U, 1U, 333U, 4096U, 100000U}) {
    std::vector<std::string> listed;
    std::string start_after;
    for (;;) {
      proto::ReadDirRequest request;
      request.set_parent(kRoot);
      request.set_start_after(start_after);
      request.set_limit(limit);
      proto::ReadDirReply reply;
      ASSERT_TRUE(store_->ReadDir(request, &reply).ok());
      uint32_t expected_cap = limit == 0 ? kDefaultReadDirLimit : std::min(limit, kMaxReadDirLimit);
      ASSERT_LE(static_cast<uint32_t>(reply.entries_size()), expected_cap);
      for (const auto& entry : reply.entries()) listed.push_back(entry.name());
      if (!reply.more()) break;
      ASSERT_GT(reply.entries_size(), 0);
      start_after = reply.entries(reply.entries_size() - 1).name();
    }
    EXPECT_EQ(listed, std::vector<std::string>(names.begin(), names.end())) << "limit " << limit;
  }
}

TEST_F(MetadataStoreTest, ReadDirOfEmptyDirectory) {
  proto::ReadDirRequest request;
  request.set_parent(77);
  proto::ReadDirReply reply;
  ASSERT_TRUE(store_->ReadDir(request, &reply).ok());
  EXPECT_EQ(reply.entries_size(), 0);
  EXPECT_FALSE(reply.more());
}

TEST_F(MetadataStoreTest, ReadDirOfLargestInode) {
  ASSERT_TRUE(Insert(UINT64_MAX, "a", 5, 0).ok());
  ASSERT_TRUE(Insert(UINT64_MAX, "b", 6, 0).ok());
  proto::ReadDirRequest request;
  request.set_parent(UINT64_MAX);
  request.set_start_after("a");
  proto::ReadDirReply reply;
  ASSERT_TRUE(store_->ReadDir(request, &reply).ok());
  ASSERT_EQ(reply.entries_size(), 1);
  EXPECT_EQ(reply.entries(0).name(), "b");
  EXPECT_EQ(reply.entries(0).ino(), 6U);
}

TEST_F(MetadataStoreTest, XattrFlagsAndErrors) {
  std::string value;
  EXPECT_EQ(SetXattr(100, "user.a", "1", 0).code(), proto::STATUS_NOT_FOUND);
  EXPECT_EQ(GetXattr(100, "user.a", &value).code(), proto::STATUS_NOT_FOUND);
  ASSERT_TRUE(Create(kRoot, "f", 100).ok());

  EXPECT_EQ(SetXattr(100, "user.a", "1", kXattrReplace).code(), proto::STATUS_NO_DATA);
  ASSERT_TRUE(SetXattr(100, "user.a", "1", kXattrCreate).ok());
  EXPECT_EQ(SetXattr(100, "user.a", "2", kXattrCreate).code(), proto::STATUS_EXISTS);
  ASSERT_TRUE(SetXattr(100, "user.a", "3", kXattrReplace).ok());
  ASSERT_TRUE(GetXattr(100, "user.a", &value).ok());
  EXPECT_EQ(value, "3");
  ASSERT_TRUE(SetXattr(100, "user.b", std::string("\0bin\xff", 5), 0).ok());
  ASSERT_TRUE(GetXattr(100, "user.b", &value).ok());
  EXPECT_EQ(value, std::string("\0bin\xff", 5));
  ASSERT_TRUE(SetXattr(100, "user.empty", "", 0).ok());
  ASSERT_TRUE(GetXattr(100, "user.empty", &value).ok());
  EXPECT_EQ(value, "");
  EXPECT_EQ(GetXattr(100, "user.none", &value).code(), proto::STATUS_NO_DATA);

  EXPECT_EQ(SetXattr(100, "user.c", "x", 3).code(), proto::STATUS_INVALID);
  EXPECT_EQ(SetXattr(100, "", "x", 0).code(), proto::STATUS_INVALID);
  EXPECT_EQ(SetXattr(100, std::string(256, 'n'), "x", 0).code(), proto::STATUS_RANGE);
  EXPECT_EQ(SetXattr(100, "user.big", std::string(kMaxXattrValueLength + 1, 'v'), 0).code(),
            proto::STATUS_TOO_BIG);

  EXPECT_EQ(ListXattr(100), (std::vector<std::string>{"user.a", "user.b", "user.empty"}));
  proto::RemoveXattrRequest remove;
  remove.set_ino(100);
  remove.set_name("user.a");
  ASSERT_TRUE(
      Apply([&](rocksdb::WriteBatch* batch) { return store_->RemoveXattr(remove, batch); }).ok());
  EXPECT_EQ(
      Apply([&](rocksdb::WriteBatch* batch) { return store_->RemoveXattr(remove, batch); }).code(),
      proto::STATUS_NO_DATA);
  EXPECT_EQ(GetXattr(100, "user.a", &value).code(), proto::STATUS_NO_DATA);
  EXPECT_EQ(ListXattr(100), (std::vector<std::string>{"user.b", "user.empty"}));
  remove.set_ino(101);
  EXPECT_EQ(
      Apply([&](rocksdb::WriteBatch* batch) { return store_->RemoveXattr(remove, batch); }).code(),
      proto::STATUS_NOT_FOUND);
  proto::ListXattrRequest list;
  list.set_ino(101);
  proto::ListXattrReply listed;
  EXPECT_EQ(store_->ListXattr(list, &listed).code(), proto::STATUS_NOT_FOUND);
}

TEST_F(MetadataStoreTest, InodeCountSurvivesReopen) {
  for (uint64_t ino = 100; ino < 110; ++ino) {
    ASSERT_TRUE(Create(kRoot, "f" + std::to_string(ino), ino).ok());
  }
  proto::RemoveDentryReply reply;
  ASSERT_TRUE(Remove(kRoot, "f100", 0, true, &reply).ok());
  EXPECT_EQ(storage_->inode_count(), 9U);
  Reopen();
  EXPECT_EQ(storage_->inode_count(), 9U);
}

}  // namespace
}  // namespace sealfs
