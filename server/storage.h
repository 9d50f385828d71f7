// Storage: the one RocksDB instance of a sealfs-server, with its column families.
//
// The database lives in <data-dir>/db. Column families (key and value layouts in key_encoding.h):
//   inodes    one record per inode stored on this server
//   dentries  directory entries, (parent, name) -> child
//   xattrs    extended attributes, (ino, name) -> value
//   chunks    file data, (ino, chunk index) -> bytes, written through a merge operator
//   requests  replies of recent non-idempotent requests, by request id, so that a retried request
//             is answered, not applied again (server_service.h)
// The write-ahead log is on and shared by all column families: a write is in the log (and so
// survives a crash of the process) before it returns; SyncWal() or a write with sync makes it
// survive a crash of the machine.
//
// Only storage.cc and the stores (metadata_store.cc, chunk_store.cc) include RocksDB headers.
// Thread-safe: RocksDB is; Close() must not race with other calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "status.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Status;
class WriteBatch;
}  // namespace rocksdb

namespace sealfs {

struct StorageOptions {
  // Memtable size of the chunks column family. Larger: fewer, larger flushes of file data, more
  // memory and a longer log replay after a crash.
  std::size_t chunk_write_buffer_bytes = 64U << 20;
  // Memtable size of each metadata column family (inodes, dentries, xattrs).
  std::size_t metadata_write_buffer_bytes = 16U << 20;
  // Block cache shared by all column families.
  std::size_t block_cache_bytes = 128U << 20;
  // Store chunk values in blob files (key-value separation) so that compaction moves keys, not
  // file data. Costs one more file read per chunk read that misses the memtable.
  bool chunk_blob_files = true;
  // Flush and compaction threads.
  int background_jobs = 2;
  // Sync the log on every metadata write. Off: metadata survives a crash of the process at once
  // and a crash of the machine after the next SyncWal() (OP_SYNC, or a write with sync).
  bool sync_metadata_writes = false;
};

// Maps a RocksDB status to ours: out of space -> STATUS_NO_SPACE, any other failure ->
// STATUS_IO_ERROR (with RocksDB's message, for the log).
Status FromRocks(const rocksdb::Status& status);

// Where the stores send their writes. The server's replicator applies a batch here and on the
// other replicas of its records (replicator.h); without one, Storage writes locally.
class BatchCommitter {
 public:
  virtual ~BatchCommitter() = default;
  virtual Status Commit(rocksdb::WriteBatch* batch, bool sync) = 0;
};

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

  // Opens (creating when missing) the database in <data_dir>/db. data_dir must exist.
  static Status Open(const std::string& data_dir, const StorageOptions& options,
                     std::unique_ptr<Storage>* out);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // Every write of the stores: through the committer when one is set, else WriteLocal.
  Status Write(rocksdb::WriteBatch* batch, bool sync);
  // Applies a batch to this server's database only.
  Status WriteLocal(rocksdb::WriteBatch* batch, bool sync);
  // Set once, before the stores are used; not owned.
  void set_committer(BatchCommitter* committer) { committer_ = committer; }

  // Makes every write so far durable (syncs the write-ahead log).
  Status SyncWal();
  // Flushes every memtable and compacts every column family fully (tests, maintenance).
  Status CompactAll();
  // Syncs the log and closes the database; later calls fail. Idempotent.
  Status Close();

  // statvfs(2) of the data directory.
  Status StatFs(uint64_t* total_bytes, uint64_t* free_bytes, uint64_t* available_bytes) const;

  [[nodiscard]] const StorageOptions& options() const { return options_; }
  [[nodiscard]] rocksdb::DB* db() const { return db_; }
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

  const std::string data_dir_;
  const StorageOptions options_;
  rocksdb::DB* db_ = nullptr;                          // owned; null once closed
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned, indexed by Family
  BatchCommitter* committer_ = nullptr;
};

}  // namespace sealfs
