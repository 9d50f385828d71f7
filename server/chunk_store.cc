#include "chunk_store.h"

#include <memory>

#include "frame.h"
#include "key_encoding.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/write_batch.h"

namespace sealfs {

Status ChunkStore::WriteChunk(uint64_t ino, uint64_t index, uint32_t offset, std::string_view data,
                              uint32_t chunk_size, rocksdb::WriteBatch* batch) {
  if (static_cast<uint64_t>(offset) + data.size() > kMaxPayloadLength) {
    return Status::Invalid("write past the largest chunk");
  }
  if (data.empty()) return Status::Ok();
  std::string key = keys::ChunkKey(ino, index);
  rocksdb::Status status;
  rocksdb::Slice data_slice(data.data(), data.size());
  if (chunk_size != 0 && offset == 0 && data.size() == chunk_size) {
    status = batch->Put(storage_->chunks(), key, data_slice);
  } else {
    // The operand is the header and the data, passed in two parts to spare a copy.
    std::string header = keys::PatchOperandHeader(offset);
    rocksdb::Slice key_slice(key);
    rocksdb::Slice value_parts[2] = {rocksdb::Slice(header), data_slice};
    status = batch->Merge(storage_->chunks(), rocksdb::SliceParts(&key_slice, 1),
                          rocksdb::SliceParts(value_parts, 2));
  }
  return FromRocks(status);
}

Status ChunkStore::ReadChunk(uint64_t ino, uint64_t index, uint32_t offset, uint32_t length,
                             std::string* out) {
  out->clear();
  if (static_cast<uint64_t>(offset) + length > kMaxPayloadLength) {
    return Status::Invalid("read past the largest chunk");
  }
  return storage_->ReadChunk(keys::ChunkKey(ino, index), offset, length, out);
}

Status ChunkStore::TruncateChunks(uint64_t ino, uint64_t size, uint32_t chunk_size,
                                  const ChunkFilter& served, rocksdb::WriteBatch* batch) {
  if (size != 0 && (chunk_size == 0 || chunk_size > kMaxPayloadLength)) {
    return Status::Invalid("bad chunk size");
  }
  // Chunks with index >= first_gone start at or past size; the one before holds size.
  uint64_t first_gone = 0;
  uint32_t cut = 0;
  if (size != 0) {
    first_gone = size / chunk_size;
    cut = static_cast<uint32_t>(size % chunk_size);
    if (cut != 0) ++first_gone;
  }
  std::string prefix = keys::InoPrefix(ino);
  std::string end = keys::InoPrefixEnd(ino);
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read_options;
  if (!end.empty()) read_options.iterate_upper_bound = &end_slice;
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(storage_->NewIterator(Storage::kChunks, read_options));
  rocksdb::Status status;
  // Chunks below the one that holds size stay as they are: start the scan there.
  uint64_t first_scanned = cut != 0 ? first_gone - 1 : first_gone;
  for (it->Seek(keys::ChunkKey(ino, first_scanned)); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    uint64_t key_ino = 0;
    uint64_t index = 0;
    if (!keys::DecodeChunkKey(std::string_view(it->key().data(), it->key().size()), &key_ino,
                              &index)) {
      continue;
    }
    if (served && !served(ino, index)) continue;
    if (index >= first_gone) {
      status = batch->Delete(storage_->chunks(), it->key());
    } else {
      uint64_t length = 0;
      Status found =
          storage_->ChunkLength(std::string_view(it->key().data(), it->key().size()), &length);
      if (!found.ok() && found.code() != proto::STATUS_NOT_FOUND) return found;
      if (found.ok() && length > cut) {
        status = batch->Merge(storage_->chunks(), it->key(), keys::TruncateOperand(cut));
      }
    }
    if (!status.ok()) return FromRocks(status);
  }
  return FromRocks(it->status());
}

Status ChunkStore::DeleteChunks(uint64_t ino, uint64_t first_index, uint64_t end_index,
                                const ChunkFilter& served, rocksdb::WriteBatch* batch) {
  if (first_index >= end_index) return Status::Ok();
  std::string end = keys::ChunkKey(ino, end_index);
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &end_slice;
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(storage_->NewIterator(Storage::kChunks, read_options));
  for (it->Seek(keys::ChunkKey(ino, first_index)); it->Valid(); it->Next()) {
    uint64_t key_ino = 0;
    uint64_t index = 0;
    if (served && (!keys::DecodeChunkKey(std::string_view(it->key().data(), it->key().size()),
                                         &key_ino, &index) ||
                   !served(key_ino, index))) {
      continue;
    }
    rocksdb::Status status = batch->Delete(storage_->chunks(), it->key());
    if (!status.ok()) return FromRocks(status);
  }
  return FromRocks(it->status());
}

}  // namespace sealfs
