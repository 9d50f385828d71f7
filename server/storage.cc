#include "storage.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "chunk_merge_operator.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "rocksdb_log.h"

namespace sealfs {

namespace {

// Names of the column families, in the order of Storage::Family. On disk: never rename.
constexpr const char* kFamilyNames[] = {"default", "inodes",   "dentries", "xattrs",
                                        "chunks",  "requests", "intents"};

bool Supported(rocksdb::CompressionType type) {
  for (rocksdb::CompressionType supported : rocksdb::GetSupportedCompressions()) {
    if (supported == type) return true;
  }
  return false;
}

// Metadata is small and compresses well; LZ4 when the RocksDB build has it.
rocksdb::CompressionType MetadataCompression() {
  return Supported(rocksdb::kLZ4Compression) ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions MetadataFamilyOptions(const StorageOptions& options,
                                                   const std::shared_ptr<rocksdb::Cache>& cache,
                                                   bool bloom) {
  rocksdb::ColumnFamilyOptions family;
  family.write_buffer_size = options.metadata_write_buffer_bytes;
  family.compression = MetadataCompression();
  family.level_compaction_dynamic_level_bytes = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Point lookups (Lookup, Create, the CAS of InsertDentry) mostly ask for names that do not
  // exist yet; a whole-key bloom filter answers those without reading a block.
  if (bloom) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return family;
}

rocksdb::ColumnFamilyOptions ChunkFamilyOptions(const StorageOptions& options,
                                                const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions family;
  family.write_buffer_size = options.chunk_write_buffer_bytes;
  family.merge_operator = NewChunkMergeOperator();
  // File data is often already compressed; compressing it again costs CPU for little.
  family.compression = rocksdb::kNoCompression;
  family.level_compaction_dynamic_level_bytes = true;
  if (options.chunk_blob_files) {
    family.enable_blob_files = true;
    family.min_blob_size = 4096;
    family.blob_file_size = 256U << 20;
    family.blob_compression_type = rocksdb::kNoCompression;
    family.enable_blob_garbage_collection = true;
  }
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return family;
}

}  // namespace

Status FromRocks(const rocksdb::Status& status) {
  if (status.ok()) return Status::Ok();
  if (status.IsNoSpace()) return {proto::STATUS_NO_SPACE, status.ToString()};
  return Status::IoError(status.ToString());
}

Storage::Storage(std::string data_dir, const StorageOptions& options)
    : data_dir_(std::move(data_dir)), options_(options) {}

Status Storage::Open(const std::string& data_dir, const StorageOptions& options,
                     std::unique_ptr<Storage>* out) {
  std::unique_ptr<Storage> storage(new Storage(data_dir, options));

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = options.background_jobs;
  // Bounds the log when one column family (say xattrs) is rarely written: RocksDB then flushes
  // it instead of keeping old log files alive for it.
  db_options.max_total_wal_size = 256U << 20;
  db_options.keep_log_file_num = 4;
  db_options.max_log_file_size = 16U << 20;
  db_options.bytes_per_sync = 1U << 20;
  // RocksDB's own log goes to the server's log, not to a LOG file in the data dir (see
  // rocksdb_log.h: a full disk would abort the server).
  db_options.info_log = MakeSpdlogRocksDbLogger();

  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(kFamilyNames[kDefault], rocksdb::ColumnFamilyOptions());
  families.emplace_back(kFamilyNames[kInodes], MetadataFamilyOptions(options, cache, true));
  families.emplace_back(kFamilyNames[kDentries], MetadataFamilyOptions(options, cache, true));
  families.emplace_back(kFamilyNames[kXattrs], MetadataFamilyOptions(options, cache, false));
  families.emplace_back(kFamilyNames[kChunks], ChunkFamilyOptions(options, cache));
  families.emplace_back(kFamilyNames[kRequests], MetadataFamilyOptions(options, cache, false));
  families.emplace_back(kFamilyNames[kIntents], MetadataFamilyOptions(options, cache, false));

  rocksdb::DB* db = nullptr;
  rocksdb::Status status =
      rocksdb::DB::Open(db_options, storage->data_dir_ + "/db", families, &storage->handles_, &db);
  if (!status.ok()) return FromRocks(status);
  storage->db_ = db;
  rocksdb::ReadOptions scan;
  scan.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(scan, storage->inodes()));
  int64_t inodes = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++inodes;
  if (!it->status().ok()) return FromRocks(it->status());
  storage->inode_count_ = inodes;
  *out = std::move(storage);
  return Status::Ok();
}

namespace {

// The inode keys a batch puts and deletes, in order.
class InodeKeys : public rocksdb::WriteBatch::Handler {
 public:
  explicit InodeKeys(uint32_t inodes_id) : inodes_id_(inodes_id) {}
  rocksdb::Status PutCF(uint32_t id, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    if (id == inodes_id_) changes.emplace_back(key.ToString(), true);
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t id, const rocksdb::Slice& key) override {
    if (id == inodes_id_) changes.emplace_back(key.ToString(), false);
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  std::vector<std::pair<std::string, bool>> changes;  // key, and whether it is put

 private:
  const uint32_t inodes_id_;
};

}  // namespace

Storage::~Storage() { Close(); }

// Writes of one record reach this server one at a time (the head holds the record's key lock
// until every copy applied a write), so that reading whether an inode exists just before the
// write counts it right.
Status Storage::WriteLocal(rocksdb::WriteBatch* batch, bool sync) {
  if (db_ == nullptr) return Status::IoError("storage is closed");
  InodeKeys inode_keys(inodes()->GetID());
  if (!batch->Iterate(&inode_keys).ok()) return Status::Invalid("batch does not parse");
  int64_t delta = 0;
  std::map<std::string, bool> present;  // whether each inode exists, as the batch goes
  for (const auto& [key, put] : inode_keys.changes) {
    auto [it, first] = present.try_emplace(key, false);
    if (first) {
      std::string value;
      it->second = Get(kInodes, key, &value).ok();
    }
    if (put && !it->second) ++delta;
    if (!put && it->second) --delta;
    it->second = put;
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  Status status = FromRocks(db_->Write(options, batch));
  if (status.ok()) inode_count_ += delta;
  return status;
}

rocksdb::Status Storage::Get(Family family, std::string_view key, std::string* value) const {
  if (db_ == nullptr) return rocksdb::Status::Aborted("storage is closed");
  return db_->Get(rocksdb::ReadOptions(), handles_[family], rocksdb::Slice(key.data(), key.size()),
                  value);
}

rocksdb::Status Storage::Get(Family family, std::string_view key,
                             rocksdb::PinnableSlice* value) const {
  if (db_ == nullptr) return rocksdb::Status::Aborted("storage is closed");
  return db_->Get(rocksdb::ReadOptions(), handles_[family], rocksdb::Slice(key.data(), key.size()),
                  value);
}

std::unique_ptr<rocksdb::Iterator> Storage::NewIterator(Family family,
                                                        const rocksdb::ReadOptions& options) const {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(options, handles_[family]));
}

Storage::Family Storage::FamilyOfId(uint32_t column_family_id) const {
  for (std::size_t i = 0; i < handles_.size(); ++i) {
    if (handles_[i]->GetID() == column_family_id) return static_cast<Family>(i);
  }
  return kFamilyCount;
}

Status Storage::SyncWal() {
  if (db_ == nullptr) return Status::IoError("storage is closed");
  // A synced write of one small record syncs the log up to it, and RocksDB refuses it with the
  // stored error once an earlier write failed (a full disk). FlushWAL/SyncWAL would instead
  // touch the failed log writer again, which Debian's RocksDB answers with an assertion.
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(db_->Put(options, db_->DefaultColumnFamily(), "sync_marker", ""));
}

Status Storage::CompactAll() {
  if (db_ == nullptr) return Status::IoError("storage is closed");
  rocksdb::FlushOptions flush;
  flush.wait = true;
  rocksdb::Status status = db_->Flush(flush, handles_);
  if (!status.ok()) return FromRocks(status);
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    status = db_->CompactRange(compact, handle, nullptr, nullptr);
    if (!status.ok()) return FromRocks(status);
  }
  return Status::Ok();
}

Status Storage::Close() {
  if (db_ == nullptr) return Status::Ok();
  Status result = SyncWal();  // the same path as OP_SYNC, safe after a failed write
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    rocksdb::Status status = db_->DestroyColumnFamilyHandle(handle);
    if (result.ok() && !status.ok()) result = FromRocks(status);
  }
  handles_.clear();
  rocksdb::Status status = db_->Close();
  if (result.ok() && !status.ok()) result = FromRocks(status);
  delete db_;
  db_ = nullptr;
  return result;
}

Status Storage::StatFs(uint64_t* total_bytes, uint64_t* free_bytes,
                       uint64_t* available_bytes) const {
  struct statvfs info {};
  if (::statvfs(data_dir_.c_str(), &info) != 0) {
    int error_number = errno;
    return Status::FromErrno(error_number, "statvfs " + data_dir_);
  }
  uint64_t fragment = info.f_frsize != 0 ? info.f_frsize : info.f_bsize;
  *total_bytes = static_cast<uint64_t>(info.f_blocks) * fragment;
  *free_bytes = static_cast<uint64_t>(info.f_bfree) * fragment;
  *available_bytes = static_cast<uint64_t>(info.f_bavail) * fragment;
  return Status::Ok();
}

}  // namespace sealfs
