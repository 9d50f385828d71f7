#include "storage.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "chunk_merge_operator.h"
#include "key_encoding.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "rocksdb_log.h"
#include "spdlog/spdlog.h"

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
  // Most point reads (a name to create, a request id not seen before, an inode not yet
  // written) find nothing, and the memtable's skip list is where they spend their time: a
  // bloom filter over the memtable's keys answers them first.
  family.memtable_prefix_bloom_size_ratio = 0.05;
  family.memtable_whole_key_filtering = true;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return family;
}

// The chunks family holds an empty record per chunk (the bytes are in chunk files). Its merge
// operator reads the chunk bytes and operands a database of an older version holds, until Open
// moves them into files.
rocksdb::ColumnFamilyOptions ChunkFamilyOptions(const StorageOptions& options,
                                                const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions family = MetadataFamilyOptions(options, cache, /*bloom=*/true);
  family.merge_operator = NewChunkMergeOperator();
  return family;
}

std::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }
rocksdb::Slice ToSlice(std::string_view view) { return {view.data(), view.size()}; }

// Present in the default family once every chunk's bytes are in chunk files.
constexpr const char* kChunkFormatKey = "chunk_format";
constexpr const char* kChunkFormatFiles = "files";

// The chunks family's iterator, with each record's value read from its chunk file.
class ChunkFileIterator : public rocksdb::Iterator {
 public:
  ChunkFileIterator(std::unique_ptr<rocksdb::Iterator> records, const ChunkFiles* files)
      : records_(std::move(records)), files_(files) {}
  bool Valid() const override { return records_->Valid(); }
  void SeekToFirst() override { Moved(), records_->SeekToFirst(); }
  void SeekToLast() override { Moved(), records_->SeekToLast(); }
  void Seek(const rocksdb::Slice& target) override { Moved(), records_->Seek(target); }
  void SeekForPrev(const rocksdb::Slice& target) override {
    Moved(), records_->SeekForPrev(target);
  }
  void Next() override { Moved(), records_->Next(); }
  void Prev() override { Moved(), records_->Prev(); }
  rocksdb::Slice key() const override { return records_->key(); }
  // A chunk whose file cannot be read reads as empty, and status() says why.
  rocksdb::Slice value() const override {
    std::string_view inline_bytes;
    if (keys::DecodeInlineChunkRecord(View(records_->value()), &inline_bytes)) {
      return {inline_bytes.data(), inline_bytes.size()};
    }
    if (!value_read_) {
      Status read = files_->Read(View(records_->key()), &value_);
      if (!read.ok() && read.code() != proto::STATUS_NOT_FOUND) {
        file_status_ = rocksdb::Status::IOError(read.ToString());
      }
      value_read_ = true;
    }
    return value_;
  }
  rocksdb::Status status() const override {
    return file_status_.ok() ? records_->status() : file_status_;
  }

 private:
  void Moved() { value_read_ = false; }

  std::unique_ptr<rocksdb::Iterator> records_;
  const ChunkFiles* files_;
  mutable bool value_read_ = false;
  mutable std::string value_;
  mutable rocksdb::Status file_status_;
};

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
  // The default family holds one small marker. Its write buffer is kept as small as the others:
  // after a full disk, RocksDB takes writes again only once the largest write buffer of any
  // family fits on the disk (64 MiB with RocksDB's default).
  rocksdb::ColumnFamilyOptions default_family;
  default_family.write_buffer_size = options.metadata_write_buffer_bytes;
  families.emplace_back(kFamilyNames[kDefault], default_family);
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
  Status files = ChunkFiles::Open(data_dir + "/chunks", &storage->chunk_files_);
  if (!files.ok()) return files;
  std::string format;
  rocksdb::Status found = db->Get(rocksdb::ReadOptions(), kChunkFormatKey, &format);
  if (!found.ok() && !found.IsNotFound()) return FromRocks(found);
  files = found.ok() ? storage->MatchChunkFilesAndRecords() : storage->MoveChunksIntoFiles();
  if (!files.ok()) return files;
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

// A batch taken apart for WriteLocal: the inode keys it puts and deletes (to count inodes), its
// chunk changes, and, with `copy_records` (asked for only when there are chunk changes, as it
// copies every record), its records other than chunks (PlanChunkWrites adds the chunks' own).
class ChunkFileBatch : public rocksdb::WriteBatch::Handler {
 public:
  ChunkFileBatch(const Storage& storage, bool copy_records)
      : storage_(storage), copy_records_(copy_records) {}

  rocksdb::Status PutCF(uint32_t id, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    const Storage::Family family = storage_.FamilyOfId(id);
    if (family == Storage::kFamilyCount) return UnknownFamily();
    if (family == Storage::kInodes) inode_changes.emplace_back(key.ToString(), true);
    if (family == Storage::kChunks) {
      AddChunkChange({ChunkChange::Kind::kReplace, key.ToString(), 0, View(value), 0});
      return rocksdb::Status::OK();
    }
    return Copy([&] { return records.Put(storage_.handle(family), key, value); });
  }
  rocksdb::Status DeleteCF(uint32_t id, const rocksdb::Slice& key) override {
    const Storage::Family family = storage_.FamilyOfId(id);
    if (family == Storage::kFamilyCount) return UnknownFamily();
    if (family == Storage::kInodes) inode_changes.emplace_back(key.ToString(), false);
    if (family == Storage::kChunks) {
      AddChunkChange({ChunkChange::Kind::kDelete, key.ToString(), 0, {}, 0});
      return rocksdb::Status::OK();
    }
    return Copy([&] { return records.Delete(storage_.handle(family), key); });
  }
  rocksdb::Status MergeCF(uint32_t id, const rocksdb::Slice& key,
                          const rocksdb::Slice& value) override {
    const Storage::Family family = storage_.FamilyOfId(id);
    if (family == Storage::kFamilyCount) return UnknownFamily();
    if (family != Storage::kChunks) {
      return Copy([&] { return records.Merge(storage_.handle(family), key, value); });
    }
    keys::ChunkOperand operand;
    if (!keys::DecodeChunkOperand(View(value), &operand)) {
      return rocksdb::Status::InvalidArgument("not a chunk operand");
    }
    if (operand.kind == keys::ChunkOperand::Kind::kTruncate) {
      AddChunkChange({ChunkChange::Kind::kTruncate, key.ToString(), 0, {}, operand.length});
    } else {
      AddChunkChange({ChunkChange::Kind::kPatch, key.ToString(), operand.offset, operand.data, 0});
    }
    return rocksdb::Status::OK();
  }

  std::vector<std::pair<std::string, bool>> inode_changes;  // key, and whether it is put
  std::vector<ChunkChange> chunk_changes;
  rocksdb::WriteBatch records;

 private:
  static rocksdb::Status UnknownFamily() {
    return rocksdb::Status::InvalidArgument("unknown column family");
  }
  template <typename Add>
  rocksdb::Status Copy(const Add& add) {
    return copy_records_ ? add() : rocksdb::Status::OK();
  }
  void AddChunkChange(ChunkChange change) { chunk_changes.push_back(std::move(change)); }

  const Storage& storage_;
  const bool copy_records_;
};

}  // namespace

namespace {

// Whether the chunk a change leaves can stay in its record, as far as this change goes.
bool FitsInline(const ChunkChange& change) {
  return change.kind == ChunkChange::Kind::kDelete || change.kind == ChunkChange::Kind::kTruncate ||
         change.offset + change.data.size() <= kLargestInlineChunk;
}

// The change applied to a chunk's bytes in memory, as ChunkFiles applies it to a file.
void ApplyToBytes(const ChunkChange& change, std::string* bytes) {
  keys::ChunkOperand operand;
  switch (change.kind) {
    case ChunkChange::Kind::kReplace:
      bytes->assign(change.data);
      return;
    case ChunkChange::Kind::kDelete:
      bytes->clear();
      return;
    case ChunkChange::Kind::kPatch:
      operand.offset = change.offset;
      operand.data = change.data;
      break;
    case ChunkChange::Kind::kTruncate:
      operand.kind = keys::ChunkOperand::Kind::kTruncate;
      operand.length = change.length;
      break;
  }
  ApplyChunkOperand(operand, bytes);
}

}  // namespace

struct Storage::ChunkWritePlan {
  std::vector<ChunkChange> file_changes;
  std::vector<ChunkChange> files_to_fill;  // inline chunks moving to files: their bytes so far
  std::deque<std::string> owned;           // the bytes files_to_fill points into
};

Status Storage::PlanChunkWrites(const std::vector<ChunkChange>& changes,
                                rocksdb::WriteBatch* records, ChunkWritePlan* plan) const {
  std::vector<std::string_view> keys_in_order;
  std::map<std::string_view, std::vector<const ChunkChange*>> changes_by_key;
  for (const ChunkChange& change : changes) {
    auto [it, first] = changes_by_key.try_emplace(change.key);
    if (first) keys_in_order.push_back(change.key);
    it->second.push_back(&change);
  }
  for (std::string_view key : keys_in_order) {
    const std::vector<const ChunkChange*>& key_changes = changes_by_key[key];
    std::string record;
    rocksdb::Status found = db_->Get(rocksdb::ReadOptions(), chunks(), ToSlice(key), &record);
    if (!found.ok() && !found.IsNotFound()) return FromRocks(found);
    std::string_view inline_bytes;
    const bool inline_now = found.ok() && keys::DecodeInlineChunkRecord(record, &inline_bytes);
    const bool in_file = found.ok() && !inline_now;
    const bool deleted = key_changes.back()->kind == ChunkChange::Kind::kDelete;
    const bool stays_inline =
        !in_file && std::all_of(key_changes.begin(), key_changes.end(),
                                [](const ChunkChange* change) { return FitsInline(*change); });
    rocksdb::Status added;
    if (deleted) {
      added = records->Delete(chunks(), ToSlice(key));
    } else if (stays_inline) {
      std::string bytes(inline_bytes);
      for (const ChunkChange* change : key_changes) ApplyToBytes(*change, &bytes);
      added = records->Put(chunks(), ToSlice(key), keys::InlineChunkRecord(bytes));
    } else {
      added = records->Put(chunks(), ToSlice(key), rocksdb::Slice());
    }
    if (!added.ok()) return FromRocks(added);
    if (stays_inline) continue;
    if (inline_now) {
      const std::string& bytes = plan->owned.emplace_back(inline_bytes);
      plan->files_to_fill.push_back({ChunkChange::Kind::kReplace, std::string(key), 0, bytes, 0});
    }
    for (const ChunkChange* change : key_changes) plan->file_changes.push_back(*change);
  }
  return Status::Ok();
}

Storage::~Storage() { Close(); }

// Writes of one record reach this server one at a time (the head holds the record's key lock
// until every copy applied a write), so that reading whether an inode exists just before the
// write counts it right.
Status Storage::WriteLocal(rocksdb::WriteBatch* batch, bool sync) {
  if (db_ == nullptr) return Status::IoError("storage is closed");
  ChunkFileBatch split(*this, /*copy_records=*/false);
  if (!batch->Iterate(&split).ok()) return Status::Invalid("batch does not parse");
  int64_t delta = 0;
  std::map<std::string, bool> present;  // whether each inode exists, as the batch goes
  for (const auto& [key, put] : split.inode_changes) {
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
  Status status;
  if (split.chunk_changes.empty()) {
    status = FromRocks(db_->Write(options, batch));
  } else {
    ChunkFileBatch copied(*this, /*copy_records=*/true);
    if (!batch->Iterate(&copied).ok()) return Status::Invalid("batch does not parse");
    ChunkWritePlan plan;
    status = PlanChunkWrites(copied.chunk_changes, &copied.records, &plan);
    if (!status.ok()) return status;
    auto write_records = [&] { return FromRocks(db_->Write(options, &copied.records)); };
    // An inline chunk that outgrows its record has its bytes so far in its file, durable,
    // before the record lets them go (Open removes a file whose record is inline).
    if (!plan.files_to_fill.empty()) status = chunk_files_->Apply(plan.files_to_fill, true);
    // The records between the blocks' allocation and the bytes (chunk_files.h): a batch that
    // RocksDB or the disk refuses changes nothing.
    if (status.ok()) {
      status = plan.file_changes.empty()
                   ? write_records()
                   : chunk_files_->Apply(plan.file_changes, sync, write_records);
    }
    if (!status.ok()) {
      for (const ChunkChange& filled : plan.files_to_fill) (void)chunk_files_->Remove(filled.key);
    }
  }
  if (status.ok()) inode_count_ += delta;
  return status;
}

Status Storage::MoveChunksIntoFiles() {
  // Every file is written and synced before any record is emptied, so that a crash leaves
  // every chunk's bytes in its record or durable in its file. Idempotent, as a crash may stop
  // it halfway: a record already emptied has its file (an empty chunk of the older version has
  // neither, and gets an empty file).
  uint64_t moved = 0;
  for (bool files_written : {false, true}) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), chunks()));
    rocksdb::WriteBatch emptied;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string key = it->key().ToString();
      uint64_t length = 0;
      if (it->value().empty() && chunk_files_->Length(key, &length).ok()) continue;
      Status status;
      if (files_written) {
        status = FromRocks(emptied.Put(chunks(), key, ""));
        ++moved;
      } else {
        ChunkChange change{ChunkChange::Kind::kReplace, key, 0,
                           std::string_view(it->value().data(), it->value().size()), 0};
        status = chunk_files_->Apply({change}, /*sync=*/false);
      }
      if (!status.ok()) return status;
    }
    if (!it->status().ok()) return FromRocks(it->status());
    Status status = files_written ? FromRocks(db_->Write(rocksdb::WriteOptions(), &emptied))
                                  : chunk_files_->Sync();
    if (!status.ok()) return status;
  }
  rocksdb::WriteOptions synced;
  synced.sync = true;
  Status status = FromRocks(db_->Put(synced, kChunkFormatKey, kChunkFormatFiles));
  if (!status.ok() || moved == 0) return status;
  // The old values, and the blob files that held them, go at the next compaction: now.
  spdlog::info("moved {} chunks from RocksDB into chunk files", moved);
  return FromRocks(db_->CompactRange(rocksdb::CompactRangeOptions(), chunks(), nullptr, nullptr));
}

Status Storage::MatchChunkFilesAndRecords() {
  std::vector<std::string> file_keys;
  Status status = chunk_files_->ListKeys(&file_keys);
  if (!status.ok()) return status;
  uint64_t removed_files = 0;
  for (const std::string& key : file_keys) {
    std::string record;
    std::string_view inline_bytes;
    rocksdb::Status found = db_->Get(rocksdb::ReadOptions(), chunks(), key, &record);
    if (!found.ok() && !found.IsNotFound()) return FromRocks(found);
    // A file whose record holds the bytes was filled for a move that did not happen.
    if (found.ok() && !keys::DecodeInlineChunkRecord(record, &inline_bytes)) continue;
    status = chunk_files_->Remove(key);
    if (!status.ok()) return status;
    ++removed_files;
  }
  rocksdb::WriteBatch gone;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), chunks()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!it->value().empty()) continue;  // inline
    uint64_t length = 0;
    status = chunk_files_->Length(View(it->key()), &length);
    if (status.code() == proto::STATUS_NOT_FOUND) {
      status = FromRocks(gone.Delete(chunks(), it->key()));
    }
    if (!status.ok()) return status;
  }
  if (!it->status().ok()) return FromRocks(it->status());
  if (removed_files != 0 || gone.Count() != 0) {
    spdlog::info(
        "chunks cut short by a crash: {} files without a record removed, {} records "
        "without a file removed",
        removed_files, gone.Count());
  }
  return gone.Count() == 0 ? Status::Ok() : FromRocks(db_->Write(rocksdb::WriteOptions(), &gone));
}

namespace {

rocksdb::Status ToRocks(const Status& status) {
  if (status.ok()) return rocksdb::Status::OK();
  if (status.code() == proto::STATUS_NOT_FOUND) return rocksdb::Status::NotFound();
  return rocksdb::Status::IOError(status.ToString());
}

}  // namespace

rocksdb::Status Storage::Get(Family family, std::string_view key, std::string* value) const {
  if (db_ == nullptr) return rocksdb::Status::Aborted("storage is closed");
  rocksdb::Status found = db_->Get(rocksdb::ReadOptions(), handles_[family], ToSlice(key), value);
  std::string_view inline_bytes;
  if (family != kChunks || !found.ok()) return found;
  if (!keys::DecodeInlineChunkRecord(*value, &inline_bytes)) {
    return ToRocks(chunk_files_->Read(key, value));
  }
  value->erase(0, value->size() - inline_bytes.size());
  return found;
}

std::unique_ptr<rocksdb::Iterator> Storage::NewIterator(Family family,
                                                        const rocksdb::ReadOptions& options) const {
  std::unique_ptr<rocksdb::Iterator> records(db_->NewIterator(options, handles_[family]));
  if (family != kChunks) return records;
  return std::make_unique<ChunkFileIterator>(std::move(records), chunk_files_.get());
}

Status Storage::ReadChunk(std::string_view key, uint32_t offset, uint32_t length,
                          std::string* out) const {
  out->clear();
  if (db_ == nullptr) return Status::IoError("storage is closed");
  std::string record;
  rocksdb::Status found = db_->Get(rocksdb::ReadOptions(), chunks(), ToSlice(key), &record);
  if (found.IsNotFound()) return Status::Ok();
  if (!found.ok()) return FromRocks(found);
  std::string_view inline_bytes;
  if (!keys::DecodeInlineChunkRecord(record, &inline_bytes)) {
    return chunk_files_->ReadRange(key, offset, length, out);
  }
  if (offset < inline_bytes.size()) out->assign(inline_bytes.substr(offset, length));
  return Status::Ok();
}

Status Storage::ChunkLength(std::string_view key, uint64_t* length) const {
  if (db_ == nullptr) return Status::IoError("storage is closed");
  std::string record;
  rocksdb::Status found = db_->Get(rocksdb::ReadOptions(), chunks(), ToSlice(key), &record);
  if (!found.ok()) return found.IsNotFound() ? Status::NotFound() : FromRocks(found);
  std::string_view inline_bytes;
  if (!keys::DecodeInlineChunkRecord(record, &inline_bytes)) {
    return chunk_files_->Length(key, length);
  }
  *length = inline_bytes.size();
  return Status::Ok();
}

Storage::Family Storage::FamilyOfId(uint32_t column_family_id) const {
  for (std::size_t i = 0; i < handles_.size(); ++i) {
    if (handles_[i]->GetID() == column_family_id) return static_cast<Family>(i);
  }
  return kFamilyCount;
}

Status Storage::SyncWal() {
  if (db_ == nullptr) return Status::IoError("storage is closed");
  // The chunk files first: a record synced before its file could outlast the file in a crash.
  Status files = chunk_files_->Sync();
  if (!files.ok()) return files;
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
