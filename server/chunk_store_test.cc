#include "chunk_store.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>
#include <string>

#include "chunk_merge_operator.h"
#include "frame.h"
#include "rocksdb/status.h"
#include "rocksdb/write_batch.h"
#include "test_util.h"

namespace sealfs {
namespace {

class ChunkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    storage_ = OpenTestStorage(dir_.path());
    ASSERT_NE(storage_, nullptr);
    chunks_ = std::make_unique<ChunkStore>(storage_.get());
  }
  void Reopen() {
    chunks_.reset();
    storage_.reset();
    Open();
  }

  // The store's writes, decided and applied here as the request handler commits them.
  Status WriteChunk(uint64_t ino, uint64_t index, uint32_t offset, std::string_view data, bool sync,
                    uint32_t chunk_size = 0) {
    return Apply(sync, [&](rocksdb::WriteBatch* batch) {
      return chunks_->WriteChunk(ino, index, offset, data, chunk_size, batch);
    });
  }
  Status TruncateChunks(uint64_t ino, uint64_t size, uint32_t chunk_size) {
    return Apply(false, [&](rocksdb::WriteBatch* batch) {
      return chunks_->TruncateChunks(ino, size, chunk_size, {}, batch);
    });
  }
  Status DeleteChunks(uint64_t ino, uint64_t first_index, uint64_t end_index) {
    return Apply(false, [&](rocksdb::WriteBatch* batch) {
      return chunks_->DeleteChunks(ino, first_index, end_index, {}, batch);
    });
  }
  Status Apply(bool sync, const std::function<Status(rocksdb::WriteBatch*)>& decide) {
    rocksdb::WriteBatch batch;
    Status status = decide(&batch);
    if (status.ok() && batch.Count() > 0) status = storage_->WriteLocal(&batch, sync);
    return status;
  }

  std::string Read(uint64_t ino, uint64_t index, uint32_t offset, uint32_t length) {
    std::string out;
    Status status = chunks_->ReadChunk(ino, index, offset, length, &out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<ChunkStore> chunks_;
};

// The model of a chunk: what it holds after a sequence of writes and truncations.
void ModelWrite(std::string* chunk, uint32_t offset, const std::string& data) {
  if (chunk->size() < offset + data.size()) chunk->resize(offset + data.size(), '\0');
  chunk->replace(offset, data.size(), data);
}

std::string RandomBytes(std::mt19937_64* random, std::size_t size) {
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>((*random)() & 0xFF);
  return bytes;
}

TEST_F(ChunkStoreTest, ReadOfMissingChunkIsEmpty) { EXPECT_EQ(Read(1, 0, 0, 4096), ""); }

TEST_F(ChunkStoreTest, PartialWritesAndHoles) {
  ASSERT_TRUE(WriteChunk(1, 0, 10, "hello", false).ok());
  EXPECT_EQ(Read(1, 0, 0, 100), std::string(10, '\0') + "hello");
  ASSERT_TRUE(WriteChunk(1, 0, 12, "LLOWORLD", false).ok());
  EXPECT_EQ(Read(1, 0, 0, 100), std::string(10, '\0') + "heLLOWORLD");
  EXPECT_EQ(Read(1, 0, 12, 3), "LLO");
  EXPECT_EQ(Read(1, 0, 19, 100), "D");
  EXPECT_EQ(Read(1, 0, 20, 100), "");
  EXPECT_EQ(Read(1, 0, 1000, 100), "");
  EXPECT_EQ(Read(1, 1, 0, 100), "");  // other chunks untouched
  EXPECT_EQ(Read(2, 0, 0, 100), "");
}

TEST_F(ChunkStoreTest, WholeChunkWriteReplaces) {
  ASSERT_TRUE(WriteChunk(1, 0, 0, std::string(8, 'a'), false).ok());
  ASSERT_TRUE(WriteChunk(1, 0, 0, "bbbb", false, /*chunk_size=*/4).ok());
  EXPECT_EQ(Read(1, 0, 0, 100), "bbbb");
  ASSERT_TRUE(WriteChunk(1, 0, 2, "cc", true).ok());
  EXPECT_EQ(Read(1, 0, 0, 100), "bbcc");
}

TEST_F(ChunkStoreTest, LimitsAreInvalid) {
  std::string out;
  EXPECT_EQ(WriteChunk(1, 0, kMaxPayloadLength, "x", false).code(), proto::STATUS_INVALID);
  EXPECT_EQ(WriteChunk(1, 0, UINT32_MAX, "x", false).code(), proto::STATUS_INVALID);
  EXPECT_EQ(chunks_->ReadChunk(1, 0, UINT32_MAX, UINT32_MAX, &out).code(), proto::STATUS_INVALID);
  EXPECT_TRUE(WriteChunk(1, 0, kMaxPayloadLength - 1, "x", false).ok());
  EXPECT_TRUE(WriteChunk(1, 0, 5, "", false).ok());
  EXPECT_EQ(TruncateChunks(1, 10, 0).code(), proto::STATUS_INVALID);
}

// Random partial writes into a few chunks, checked byte for byte against the model as written,
// after reopening (the records matched against the chunk files) and after a full compaction of
// the records.
TEST_F(ChunkStoreTest, RandomWritesMatchModel) {
  constexpr uint32_t kChunkSize = 256U << 10;
  std::mt19937_64 random(42);
  std::map<std::pair<uint64_t, uint64_t>, std::string> model;
  auto check_all = [&](const char* when) {
    for (const auto& [key, chunk] : model) {
      ASSERT_EQ(Read(key.first, key.second, 0, kChunkSize), chunk)
          << when << " ino " << key.first << " chunk " << key.second;
      uint32_t offset = static_cast<uint32_t>(random() % kChunkSize);
      uint32_t length = static_cast<uint32_t>(random() % 9000);
      std::string expected = offset < chunk.size() ? chunk.substr(offset, length) : "";
      ASSERT_EQ(Read(key.first, key.second, offset, length), expected) << when;
    }
  };
  auto write_some = [&](int count) {
    for (int i = 0; i < count; ++i) {
      uint64_t ino = 1 + random() % 3;
      uint64_t index = random() % 4;
      uint32_t length = 1 + static_cast<uint32_t>(random() % (i % 10 == 0 ? 70000 : 5000));
      uint32_t offset = static_cast<uint32_t>(random() % (kChunkSize - length));
      std::string data = RandomBytes(&random, length);
      ASSERT_TRUE(WriteChunk(ino, index, offset, data, i % 50 == 0).ok());
      ModelWrite(&model[{ino, index}], offset, data);
    }
  };
  write_some(400);
  check_all("written");
  Reopen();
  check_all("reopened");
  write_some(300);
  ASSERT_TRUE(storage_->CompactAll().ok());
  check_all("compacted");
  write_some(300);  // operands over compacted values
  check_all("on compacted");
  ASSERT_TRUE(chunks_->Sync().ok());
  Reopen();
  ASSERT_TRUE(storage_->CompactAll().ok());
  check_all("compacted again");
}

TEST_F(ChunkStoreTest, DeleteChunksLeavesTheOthers) {
  for (uint64_t index = 0; index < 6; ++index) {
    ASSERT_TRUE(WriteChunk(7, index, 0, std::string(10, 'a' + index), false).ok());
  }
  ASSERT_TRUE(WriteChunk(8, 2, 0, "other", false).ok());
  ASSERT_TRUE(DeleteChunks(7, 2, 4).ok());
  EXPECT_EQ(Read(7, 1, 0, 100), std::string(10, 'b'));
  EXPECT_EQ(Read(7, 2, 0, 100), "");
  EXPECT_EQ(Read(7, 3, 0, 100), "");
  EXPECT_EQ(Read(7, 4, 0, 100), std::string(10, 'e'));
  EXPECT_EQ(Read(8, 2, 0, 100), "other");
  EXPECT_TRUE(DeleteChunks(7, 5, 5).ok()) << "an empty range";
  EXPECT_TRUE(DeleteChunks(7, 0, UINT64_MAX).ok());
  EXPECT_EQ(Read(7, 5, 0, 100), "");
  EXPECT_EQ(Read(8, 2, 0, 100), "other");
}

TEST_F(ChunkStoreTest, TruncateChunks) {
  constexpr uint32_t kChunkSize = 100;
  for (uint64_t index = 0; index < 5; ++index) {
    ASSERT_TRUE(WriteChunk(7, index, 0, std::string(kChunkSize, 'a' + index), false).ok());
  }
  ASSERT_TRUE(WriteChunk(8, 0, 0, "other", false).ok());

  ASSERT_TRUE(TruncateChunks(7, 250, kChunkSize).ok());  // keeps 0, 1, half of 2
  EXPECT_EQ(Read(7, 0, 0, 1000), std::string(100, 'a'));
  EXPECT_EQ(Read(7, 1, 0, 1000), std::string(100, 'b'));
  EXPECT_EQ(Read(7, 2, 0, 1000), std::string(50, 'c'));
  EXPECT_EQ(Read(7, 3, 0, 1000), "");
  EXPECT_EQ(Read(7, 4, 0, 1000), "");

  // Writing past the cut after truncation leaves zeros in between, not the old bytes.
  ASSERT_TRUE(WriteChunk(7, 2, 90, "zz", false).ok());
  EXPECT_EQ(Read(7, 2, 0, 1000), std::string(50, 'c') + std::string(40, '\0') + "zz");

  ASSERT_TRUE(TruncateChunks(7, 200, kChunkSize).ok());  // on a chunk boundary
  EXPECT_EQ(Read(7, 1, 0, 1000), std::string(100, 'b'));
  EXPECT_EQ(Read(7, 2, 0, 1000), "");

  ASSERT_TRUE(storage_->CompactAll().ok());
  EXPECT_EQ(Read(7, 1, 0, 1000), std::string(100, 'b'));
  ASSERT_TRUE(TruncateChunks(7, 0, 0).ok());
  EXPECT_EQ(Read(7, 0, 0, 1000), "");
  EXPECT_EQ(Read(7, 1, 0, 1000), "");
  EXPECT_EQ(Read(8, 0, 0, 1000), "other");  // another inode keeps its data
}

TEST_F(ChunkStoreTest, TruncateToLongerSizeKeepsShortChunk) {
  ASSERT_TRUE(WriteChunk(3, 0, 0, "abc", false).ok());
  ASSERT_TRUE(TruncateChunks(3, 50, 100).ok());
  EXPECT_EQ(Read(3, 0, 0, 100), "abc");
}

TEST_F(ChunkStoreTest, LargestInode) {
  ASSERT_TRUE(WriteChunk(UINT64_MAX, UINT64_MAX, 0, "end", false).ok());
  EXPECT_EQ(Read(UINT64_MAX, UINT64_MAX, 0, 10), "end");
  ASSERT_TRUE(TruncateChunks(UINT64_MAX, 0, 0).ok());
  EXPECT_EQ(Read(UINT64_MAX, UINT64_MAX, 0, 10), "");
}

// Combining two operands (PartialMerge, which RocksDB may do at flush or compaction when the
// base value is not at hand) must give what applying them one after the other gives.
TEST(ChunkMergeOperatorTest, PartialMergeMatchesSequentialApply) {
  auto merge = NewChunkMergeOperator();
  std::mt19937_64 random(7);
  auto random_operand = [&] {
    if (random() % 4 == 0) return keys::TruncateOperand(static_cast<uint32_t>(random() % 64));
    return keys::PatchOperandHeader(static_cast<uint32_t>(random() % 64)) +
           RandomBytes(&random, random() % 40);
  };
  int combined = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string base = RandomBytes(&random, random() % 80);
    std::string left = random_operand();
    std::string right = random_operand();
    std::string merged;
    if (!merge->PartialMerge("key", left, right, &merged, nullptr)) continue;
    ++combined;
    std::string sequential = base;
    std::string at_once = base;
    for (const std::string* bytes : {&left, &right}) {
      keys::ChunkOperand operand;
      ASSERT_TRUE(keys::DecodeChunkOperand(*bytes, &operand));
      ApplyChunkOperand(operand, &sequential);
    }
    keys::ChunkOperand operand;
    ASSERT_TRUE(keys::DecodeChunkOperand(merged, &operand));
    ApplyChunkOperand(operand, &at_once);
    ASSERT_EQ(at_once, sequential) << i;
  }
  EXPECT_GT(combined, 100);
}

TEST(StorageTest, RocksStatusMapping) {
  EXPECT_TRUE(FromRocks(rocksdb::Status::OK()).ok());
  EXPECT_EQ(FromRocks(rocksdb::Status::NoSpace("disk full")).code(), proto::STATUS_NO_SPACE);
  EXPECT_EQ(FromRocks(rocksdb::Status::IOError("bad disk")).code(), proto::STATUS_IO_ERROR);
  EXPECT_EQ(FromRocks(rocksdb::Status::Corruption("bad block")).code(), proto::STATUS_IO_ERROR);
}

TEST_F(ChunkStoreTest, StatFs) {
  uint64_t total = 0;
  uint64_t free = 0;
  uint64_t available = 0;
  ASSERT_TRUE(storage_->StatFs(&total, &free, &available).ok());
  EXPECT_GT(total, 0U);
  EXPECT_LE(free, total);
  EXPECT_LE(available, free);
}

}  // namespace
}  // namespace sealfs
