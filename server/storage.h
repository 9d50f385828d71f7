// Storage: the one RocksDB instance of a sealfs-server, with its column families.
//
// The database lives in <data-dir>/db. Column families (key and value layouts in key_encoding.h):
//   inodes    one record per inode stored on this server
//   dentries  directory entries, (parent, name) -> child
//   xattrs    extended attributes, (ino, name) -> value
//   chunks    file data, (ino, chunk index) -> bytes: the bytes of a chunk of at most
//             kLargestInlineChunk live in its record; larger ones in chunk files
//             (chunk_files.h), with an empty record, which iterators and the resync passes walk.
//             Get and NewIterator of this family give the bytes wherever they live.
//   requests  replies of recent non-idempotent requests, by request id, so that a retried request
//             is answered, not applied again (server_service.h)
// The write-ahead log is on and shared by all column families: a write is in the log (and so
// survives a crash of the process) before it returns; SyncWal() or a write with sync makes it
// survive a crash of the machine.
//
// The stores decide writes into a WriteBatch and never apply them: the request handler commits
// each through the Replicator (server_service.h), which applies it here with WriteLocal once
// every copy holds it.
//
// A batch with chunk changes: the chunk files' blocks are allocated, then the batch goes to
// RocksDB (its chunk records empty), then the bytes to the files (chunk_files.h), so that a
// batch RocksDB or the disk refuses changes nothing. A crash in between leaves the effect of a
// write that was never acknowledged, which the client retries: a chunk's new record beside a file
// of zeros (what a missing chunk reads as), or a deleted chunk's file without its record
// (removed at the next Open, as are records without files).
//
// Thread-safe: RocksDB is; Close() must not race with other calls.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chunk_files.h"
#include "status.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Iterator;
struct ReadOptions;
class Status;
class WriteBatch;
}  // namespace rocksdb

namespace sealfs {

// The largest chunk kept in its RocksDB record instead of a file of its own: a file costs an
// inode, a block and its own writeback on every copy, which for a small file costs more than
// its bytes in the log and the memtable. A chunk that grows past it moves to its file.
inline constexpr std::size_t kLargestInlineChunk = 16U << 10;

struct StorageOptions {
  // Memtable size of each metadata column family (inodes, dentries, xattrs, and the chunks'
  // records).
  std::size_t metadata_write_buffer_bytes = 16U << 20;
  // Block cache shared by all column families.
  std::size_t block_cache_bytes = 128U << 20;
  // Flush and compaction threads.
  int background_jobs = 2;
  // Sync the log on every metadata write. Off: metadata survives a crash of the process at once
  // and a crash of the machine after the next SyncWal() (OP_SYNC, or a write with sync).
  bool sync_metadata_writes = false;
};

// Maps a RocksDB status to ours: out of space -> STATUS_NO_SPACE, any other failure ->
// STATUS_IO_ERROR (with RocksDB's message, for the log).
Status FromRocks(const rocksdb::Status& status);

class Storage {
 public:
  // Column families, in the order they are opened. On disk by name: never rename one.
  enum Family {
    kDefault = 0,
    kInodes,
    kDentries,
    kXattrs,
    kChunks,
    kRequests,
    kIntents,
    kFamilyCount
  };

  // Opens (creating when missing) the database in <data_dir>/db and the chunk files in
  // <data_dir>/chunks, matches chunk files and records (a crash between the two writes leaves
  // one without the other), and counts its inode records (one scan). A database of an older
  // version, with chunk bytes in RocksDB, has them moved into chunk files. data_dir must exist.
  static Status Open(const std::string& data_dir, const StorageOptions& options,
                     std::unique_ptr<Storage>* out);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // Applies a batch to this server's database only: as the head once every copy took it, or as
  // a copy (Replicator).
  Status WriteLocal(rocksdb::WriteBatch* batch, bool sync);
  // The inode records stored here, copies included: counted at Open and kept by WriteLocal.
  [[nodiscard]] uint64_t inode_count() const {
    return static_cast<uint64_t>(std::max<int64_t>(0, inode_count_.load()));
  }

  // Makes every write so far durable (syncs the chunk files, then the write-ahead log).
  Status SyncWal();
  // Flushes every memtable and compacts every column family fully (tests, maintenance).
  Status CompactAll();
  // Syncs the log and closes the database; later calls fail. Idempotent.
  Status Close();

  // statvfs(2) of the data directory.
  Status StatFs(uint64_t* total_bytes, uint64_t* free_bytes, uint64_t* available_bytes) const;

  // Every read of the stores, the passes and the intent runner: RocksDB's Get and iterators on
  // one family of this database.
  rocksdb::Status Get(Family family, std::string_view key, std::string* value) const;
  [[nodiscard]] std::unique_ptr<rocksdb::Iterator> NewIterator(
      Family family, const rocksdb::ReadOptions& options) const;
  // Part of a chunk (ChunkFiles::ReadRange) and its length (STATUS_NOT_FOUND when there is
  // none), without reading the whole of it.
  Status ReadChunk(std::string_view key, uint32_t offset, uint32_t length, std::string* out) const;
  Status ChunkLength(std::string_view key, uint64_t* length) const;

  [[nodiscard]] const StorageOptions& options() const { return options_; }
  [[nodiscard]] rocksdb::ColumnFamilyHandle* inodes() const { return handles_[kInodes]; }
  [[nodiscard]] rocksdb::ColumnFamilyHandle* dentries() const { return handles_[kDentries]; }
  [[nodiscard]] rocksdb::ColumnFamilyHandle* xattrs() const { return handles_[kXattrs]; }
  [[nodiscard]] rocksdb::ColumnFamilyHandle* chunks() const { return handles_[kChunks]; }
  [[nodiscard]] rocksdb::ColumnFamilyHandle* requests() const { return handles_[kRequests]; }
  [[nodiscard]] rocksdb::ColumnFamilyHandle* intents() const { return handles_[kIntents]; }
  [[nodiscard]] rocksdb::ColumnFamilyHandle* handle(Family family) const {
    return handles_[family];
  }
  // The family of a column family id found in a WriteBatch; kFamilyCount when unknown.
  [[nodiscard]] Family FamilyOfId(uint32_t column_family_id) const;

 private:
  Storage(std::string data_dir, const StorageOptions& options);
  // Open's second half: chunk bytes into files, files and records matched.
  Status MoveChunksIntoFiles();
  Status MatchChunkFilesAndRecords();
  // Where each chunk change of a batch goes (WriteLocal): a chunk without a file whose changes
  // all end within kLargestInlineChunk stays in its record; the others go to files, an inline
  // chunk first copied into its file. Adds each chunk's record to `records`.
  struct ChunkWritePlan;
  Status PlanChunkWrites(const std::vector<ChunkChange>& changes, rocksdb::WriteBatch* records,
                         ChunkWritePlan* plan) const;

  const std::string data_dir_;
  const StorageOptions options_;
  rocksdb::DB* db_ = nullptr;                          // owned; null once closed
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned, indexed by Family
  std::unique_ptr<ChunkFiles> chunk_files_;
  std::atomic<int64_t> inode_count_{0};
};

}  // namespace sealfs
