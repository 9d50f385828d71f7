#include "chunk_files.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <memory>
#include <string>
#include <vector>

#include "chunk_merge_operator.h"
#include "key_encoding.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage.h"
#include "test_util.h"

namespace sealfs {
namespace {

std::string ReadChunk(const Storage& storage, uint64_t ino, uint64_t index) {
  std::string out;
  rocksdb::Status status = storage.Get(Storage::kChunks, keys::ChunkKey(ino, index), &out);
  if (status.IsNotFound()) return "<none>";
  EXPECT_TRUE(status.ok()) << status.ToString();
  return out;
}

// The chunk keys RocksDB holds records of (the chunks family's iterator).
std::vector<std::string> ChunkRecords(const Storage& storage) {
  std::vector<std::string> keys;
  std::unique_ptr<rocksdb::Iterator> it = storage.NewIterator(Storage::kChunks, {});
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
  EXPECT_TRUE(it->status().ok());
  return keys;
}

Status Put(Storage* storage, uint64_t ino, uint64_t index, std::string_view data) {
  rocksdb::WriteBatch batch;
  batch.Put(storage->chunks(), keys::ChunkKey(ino, index),
            rocksdb::Slice(data.data(), data.size()));
  return storage->WriteLocal(&batch, /*sync=*/false);
}

// A write as a client's write of part of a chunk reaches storage: a patch operand.
Status Patch(Storage* storage, uint64_t ino, uint64_t index, uint32_t offset,
             std::string_view data) {
  rocksdb::WriteBatch batch;
  batch.Merge(storage->chunks(), keys::ChunkKey(ino, index),
              keys::PatchOperandHeader(offset) + std::string(data));
  return storage->WriteLocal(&batch, /*sync=*/false);
}

// The keys of the chunk files under a data dir.
std::vector<std::string> ChunkFileKeys(const std::string& data_dir) {
  std::unique_ptr<ChunkFiles> files;
  EXPECT_TRUE(ChunkFiles::Open(data_dir + "/chunks", &files).ok());
  std::vector<std::string> keys;
  EXPECT_TRUE(files->ListKeys(&keys).ok());
  return keys;
}

const std::string kLargeChunk(kLargestInlineChunk + 1, 'L');

// While it lives, no file grows past 1 MiB: a larger write is refused as on a full disk (both
// refuse the blocks' reservation).
class FileSizeLimit {
 public:
  FileSizeLimit() {
    EXPECT_EQ(::getrlimit(RLIMIT_FSIZE, &saved_), 0);
    saved_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = saved_;
    small.rlim_cur = 1U << 20;
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, saved_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  struct rlimit saved_ {};
  sighandler_t saved_handler_ = SIG_DFL;
};

// A crash between a chunk file's write and its record's leaves one without the other: the next
// Open removes both kinds, so that a chunk never shows up in one of reads and scans only.
TEST(ChunkFilesTest, OpenRemovesFilesWithoutRecordsAndRecordsWithoutFiles) {
  TempDir dir;
  {
    std::unique_ptr<Storage> storage = OpenTestStorage(dir.path());
    ASSERT_TRUE(Put(storage.get(), 1, 0, kLargeChunk).ok());
    ASSERT_TRUE(Put(storage.get(), 1, 1, kLargeChunk).ok());
    ASSERT_TRUE(storage->Close().ok());
  }
  {
    // What the crash left: a file whose record never got written, a record whose file is gone.
    std::unique_ptr<ChunkFiles> files;
    ASSERT_TRUE(ChunkFiles::Open(dir.path() + "/chunks", &files).ok());
    ChunkChange stray{ChunkChange::Kind::kReplace, keys::ChunkKey(2, 0), 0, "no record", 0};
    ASSERT_TRUE(files->Apply({stray}, /*sync=*/true).ok());
    ASSERT_TRUE(files->Remove(keys::ChunkKey(1, 1)).ok());
  }
  std::unique_ptr<Storage> storage = OpenTestStorage(dir.path());
  EXPECT_EQ(ReadChunk(*storage, 1, 0), kLargeChunk);
  EXPECT_EQ(ReadChunk(*storage, 1, 1), "<none>");
  EXPECT_EQ(ReadChunk(*storage, 2, 0), "<none>");
  EXPECT_EQ(ChunkRecords(*storage), std::vector<std::string>{keys::ChunkKey(1, 0)});
}

// A database written by a version that kept chunk bytes in RocksDB (values, merge operands, blob
// files) opens with every chunk readable from its file, and again after a second Open.
TEST(ChunkFilesTest, OpenMovesChunkBytesOutOfAnOlderDatabase) {
  TempDir dir;
  {
    std::unique_ptr<Storage> storage = OpenTestStorage(dir.path());
    ASSERT_TRUE(storage->Close().ok());
  }
  {
    rocksdb::Options options;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name :
         {"default", "inodes", "dentries", "xattrs", "chunks", "requests", "intents"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    families[Storage::kChunks].options.merge_operator = NewChunkMergeOperator();
    families[Storage::kChunks].options.enable_blob_files = true;
    families[Storage::kChunks].options.min_blob_size = 16;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.path() + "/db", families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle* chunks = handles[Storage::kChunks];
    const rocksdb::WriteOptions write;
    ASSERT_TRUE(db->Delete(write, "chunk_format").ok());
    ASSERT_TRUE(db->Put(write, chunks, keys::ChunkKey(5, 0), std::string(100, 'a')).ok());
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions(), chunks).ok());  // into a blob file
    ASSERT_TRUE(
        db->Merge(write, chunks, keys::ChunkKey(5, 0), keys::PatchOperandHeader(98) + "bbb").ok());
    ASSERT_TRUE(
        db->Merge(write, chunks, keys::ChunkKey(5, 1), keys::PatchOperandHeader(2) + "cc").ok());
    ASSERT_TRUE(db->Put(write, chunks, keys::ChunkKey(6, 0), "").ok());
    for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
    ASSERT_TRUE(db->Close().ok());
  }
  for (int open = 0; open < 2; ++open) {
    std::unique_ptr<Storage> storage = OpenTestStorage(dir.path());
    EXPECT_EQ(ReadChunk(*storage, 5, 0), std::string(98, 'a') + "bbb") << "open " << open;
    EXPECT_EQ(ReadChunk(*storage, 5, 1), std::string(2, '\0') + "cc") << "open " << open;
    EXPECT_EQ(ReadChunk(*storage, 6, 0), "") << "open " << open;
    EXPECT_EQ(ChunkRecords(*storage).size(), 3U) << "open " << open;
    ASSERT_TRUE(storage->Close().ok());
  }
}

// A batch the disk cannot hold fails before any of its bytes land: here the file size limit
// stands in for a full disk (both refuse the reservation).
TEST(ChunkFilesTest, ABatchThatDoesNotFitChangesNothing) {
  TempDir dir;
  std::unique_ptr<ChunkFiles> files;
  ASSERT_TRUE(ChunkFiles::Open(dir.path(), &files).ok());
  const std::string old_bytes(4096, 'o');
  ASSERT_TRUE(
      files->Apply({{ChunkChange::Kind::kReplace, keys::ChunkKey(1, 0), 0, old_bytes, 0}}, false)
          .ok());

  const std::string too_big(2U << 20, 'x');
  Status status;
  {
    FileSizeLimit full;
    status = files->Apply({{ChunkChange::Kind::kPatch, keys::ChunkKey(1, 0), 0, "new", 0},
                           {ChunkChange::Kind::kPatch, keys::ChunkKey(2, 0), 0, too_big, 0}},
                          false);
  }

  EXPECT_FALSE(status.ok());
  std::string out;
  ASSERT_TRUE(files->Read(keys::ChunkKey(1, 0), &out).ok());
  EXPECT_EQ(out, old_bytes);
  EXPECT_EQ(files->Read(keys::ChunkKey(2, 0), &out).code(), proto::STATUS_NOT_FOUND);
  std::vector<std::string> keys;
  ASSERT_TRUE(files->ListKeys(&keys).ok());
  EXPECT_EQ(keys, std::vector<std::string>{keys::ChunkKey(1, 0)});
}

// The records are written between the blocks' allocation and the bytes: when RocksDB refuses
// them, the files are as they were.
TEST(ChunkFilesTest, RefusedRecordsLeaveTheFilesAsTheyWere) {
  TempDir dir;
  std::unique_ptr<ChunkFiles> files;
  ASSERT_TRUE(ChunkFiles::Open(dir.path(), &files).ok());
  const std::string key = keys::ChunkKey(1, 0);
  ASSERT_TRUE(files->Apply({{ChunkChange::Kind::kReplace, key, 0, "before", 0}}, false).ok());
  int records_written = 0;
  Status status = files->Apply({{ChunkChange::Kind::kPatch, key, 4, "after the end", 0},
                                {ChunkChange::Kind::kReplace, keys::ChunkKey(2, 0), 0, "new", 0},
                                {ChunkChange::Kind::kDelete, keys::ChunkKey(1, 0), 0, {}, 0}},
                               false, [&] {
                                 ++records_written;
                                 return Status(proto::STATUS_NO_SPACE, "the log is full");
                               });
  EXPECT_EQ(status.code(), proto::STATUS_NO_SPACE);
  EXPECT_EQ(records_written, 1);
  std::string out;
  ASSERT_TRUE(files->Read(key, &out).ok());
  EXPECT_EQ(out, "before");
  EXPECT_EQ(files->Read(keys::ChunkKey(2, 0), &out).code(), proto::STATUS_NOT_FOUND);
}

// A patch of nothing zero-fills up to its offset, as the merge operator does.
TEST(ChunkFilesTest, AnEmptyPatchPastTheEndGrowsTheChunk) {
  TempDir dir;
  std::unique_ptr<ChunkFiles> files;
  ASSERT_TRUE(ChunkFiles::Open(dir.path(), &files).ok());
  const std::string key = keys::ChunkKey(1, 0);
  ASSERT_TRUE(files
                  ->Apply({{ChunkChange::Kind::kReplace, key, 0, "abc", 0},
                           {ChunkChange::Kind::kPatch, key, 6, {}, 0},
                           {ChunkChange::Kind::kPatch, key, 2, {}, 0}},
                          false)
                  .ok());
  std::string out;
  ASSERT_TRUE(files->Read(key, &out).ok());
  std::string expected = "abc";
  keys::ChunkOperand grow;
  grow.offset = 6;
  ApplyChunkOperand(grow, &expected);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(out.size(), 6U);
}

// Changes of one batch apply in order, also to one chunk: deleted, then written anew.
TEST(ChunkFilesTest, ChangesOfOneBatchApplyInOrder) {
  TempDir dir;
  std::unique_ptr<ChunkFiles> files;
  ASSERT_TRUE(ChunkFiles::Open(dir.path(), &files).ok());
  const std::string key = keys::ChunkKey(3, 7);
  ASSERT_TRUE(files->Apply({{ChunkChange::Kind::kReplace, key, 0, "0123456789", 0}}, false).ok());
  ASSERT_TRUE(files
                  ->Apply({{ChunkChange::Kind::kDelete, key, 0, {}, 0},
                           {ChunkChange::Kind::kPatch, key, 4, "ab", 0},
                           {ChunkChange::Kind::kTruncate, key, 0, {}, 5},
                           {ChunkChange::Kind::kPatch, key, 0, "z", 0}},
                          /*sync=*/true)
                  .ok());
  std::string out;
  ASSERT_TRUE(files->Read(key, &out).ok());
  EXPECT_EQ(out, std::string("z\0\0\0a", 5));
  uint64_t length = 0;
  ASSERT_TRUE(files->Length(key, &length).ok());
  EXPECT_EQ(length, 5U);
  ASSERT_TRUE(files->ReadRange(key, 3, 100, &out).ok());
  EXPECT_EQ(out, std::string("\0a", 2));
  ASSERT_TRUE(files->Sync().ok());
  // Many files to sync: the whole file system at once.
  for (uint64_t index = 0; index < 20; ++index) {
    ASSERT_TRUE(
        files->Apply({{ChunkChange::Kind::kPatch, keys::ChunkKey(4, index), 0, "x", 0}}, false)
            .ok());
  }
  ASSERT_TRUE(files->Sync().ok());
}

// A small file's chunk is one record, no file; it moves to a file of its own, with every byte
// it had, once it grows past kLargestInlineChunk.
TEST(ChunkFilesTest, ASmallChunkStaysInItsRecordUntilItGrows) {
  TempDir dir;
  std::unique_ptr<Storage> storage = OpenTestStorage(dir.path());
  const std::string small(3901, 's');
  ASSERT_TRUE(Patch(storage.get(), 1, 0, 0, small).ok());
  ASSERT_TRUE(Patch(storage.get(), 1, 0, 3901, "more").ok());
  ASSERT_TRUE(Put(storage.get(), 2, 0, kLargeChunk).ok());
  EXPECT_EQ(ChunkFileKeys(dir.path()), std::vector<std::string>{keys::ChunkKey(2, 0)});
  EXPECT_EQ(ReadChunk(*storage, 1, 0), small + "more");
  std::string part;
  ASSERT_TRUE(storage->ReadChunk(keys::ChunkKey(1, 0), 3900, 100, &part).ok());
  EXPECT_EQ(part, "smore");
  ASSERT_TRUE(storage->ReadChunk(keys::ChunkKey(1, 0), 5000, 100, &part).ok());
  EXPECT_EQ(part, "");
  uint64_t length = 0;
  ASSERT_TRUE(storage->ChunkLength(keys::ChunkKey(1, 0), &length).ok());
  EXPECT_EQ(length, 3905U);

  ASSERT_TRUE(Patch(storage.get(), 1, 0, kLargestInlineChunk, "tail").ok());
  std::string expected = small + "more";
  expected.resize(kLargestInlineChunk, '\0');
  expected += "tail";
  EXPECT_EQ(ReadChunk(*storage, 1, 0), expected);
  EXPECT_EQ(ChunkFileKeys(dir.path()).size(), 2U);
  ASSERT_TRUE(storage->ChunkLength(keys::ChunkKey(1, 0), &length).ok());
  EXPECT_EQ(length, expected.size());
  ASSERT_TRUE(storage->Close().ok());
  storage = OpenTestStorage(dir.path());
  EXPECT_EQ(ReadChunk(*storage, 1, 0), expected);
}

// Truncation and deletion of an inline chunk, and a scan of the chunks, see its bytes.
TEST(ChunkFilesTest, AnInlineChunkIsCutDeletedAndScannedAsAFileChunkIs) {
  TempDir dir;
  std::unique_ptr<Storage> storage = OpenTestStorage(dir.path());
  ASSERT_TRUE(Put(storage.get(), 1, 0, "0123456789").ok());
  ASSERT_TRUE(Put(storage.get(), 1, 1, "abc").ok());
  rocksdb::WriteBatch cut;
  cut.Merge(storage->chunks(), keys::ChunkKey(1, 0), keys::TruncateOperand(4));
  cut.Delete(storage->chunks(), keys::ChunkKey(1, 1));
  ASSERT_TRUE(storage->WriteLocal(&cut, /*sync=*/true).ok());
  EXPECT_EQ(ReadChunk(*storage, 1, 0), "0123");
  EXPECT_EQ(ReadChunk(*storage, 1, 1), "<none>");
  std::unique_ptr<rocksdb::Iterator> it = storage->NewIterator(Storage::kChunks, {});
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value().ToString(), "0123");
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(ChunkFileKeys(dir.path()).empty());
}

// A crash while an inline chunk moves to its file (the file filled, the record not yet changed)
// leaves the chunk as the record has it: Open removes the file.
TEST(ChunkFilesTest, AMoveToAFileCutShortKeepsTheInlineChunk) {
  TempDir dir;
  {
    std::unique_ptr<Storage> storage = OpenTestStorage(dir.path());
    ASSERT_TRUE(Put(storage.get(), 1, 0, "inline bytes").ok());
    ASSERT_TRUE(storage->Close().ok());
  }
  {
    std::unique_ptr<ChunkFiles> files;
    ASSERT_TRUE(ChunkFiles::Open(dir.path() + "/chunks", &files).ok());
    ChunkChange filled{ChunkChange::Kind::kReplace, keys::ChunkKey(1, 0), 0, "filled, unused", 0};
    ASSERT_TRUE(files->Apply({filled}, /*sync=*/true).ok());
  }
  std::unique_ptr<Storage> storage = OpenTestStorage(dir.path());
  EXPECT_EQ(ReadChunk(*storage, 1, 0), "inline bytes");
  EXPECT_TRUE(ChunkFileKeys(dir.path()).empty());
  ASSERT_TRUE(Patch(storage.get(), 1, 0, kLargestInlineChunk, "!").ok());
  std::string expected = "inline bytes";
  expected.resize(kLargestInlineChunk, '\0');
  EXPECT_EQ(ReadChunk(*storage, 1, 0), expected + "!");
}

// A move to a file that the disk refuses leaves the chunk in its record, and no file.
TEST(ChunkFilesTest, ARefusedMoveToAFileLeavesTheChunkInline) {
  TempDir dir;
  std::unique_ptr<Storage> storage = OpenTestStorage(dir.path());
  ASSERT_TRUE(Put(storage.get(), 1, 0, "inline bytes").ok());

  Status status;
  {
    FileSizeLimit full;
    status = Patch(storage.get(), 1, 0, 4, std::string(2U << 20, 'x'));
  }

  EXPECT_FALSE(status.ok());
  EXPECT_EQ(ReadChunk(*storage, 1, 0), "inline bytes");
  EXPECT_TRUE(ChunkFileKeys(dir.path()).empty());
}

}  // namespace
}  // namespace sealfs
