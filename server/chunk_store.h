// ChunkStore: file data on one server, one record per (inode, chunk index).
//
// A write known to cover a whole chunk is a Put; any other write is a merge operand (a patch:
// offset and bytes), so that a small write into a large chunk never reads and rewrites the chunk.
// Truncation is a merge operand too, so it orders correctly with writes racing it. Every server
// applies them to the chunk's file (chunk_files.h, through Storage::WriteLocal): a pwrite, an
// ftruncate.
//
// Writes decide into `batch` and apply nothing, as MetadataStore's do (metadata_store.h): the
// caller commits the batch under the chunks' key locks.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "status.h"
#include "storage.h"

namespace rocksdb {
class WriteBatch;
}  // namespace rocksdb

namespace sealfs {

class ChunkStore {
 public:
  explicit ChunkStore(Storage* storage) : storage_(storage) {}

  // Writes data at offset within chunk `index` of `ino`. offset + size must not exceed
  // kMaxPayloadLength (STATUS_INVALID). chunk_size, when known (nonzero), lets a write of the
  // whole chunk replace it with a Put.
  Status WriteChunk(uint64_t ino, uint64_t index, uint32_t offset, std::string_view data,
                    uint32_t chunk_size, rocksdb::WriteBatch* batch);
  // The stored bytes of [offset, offset + length): shorter when the chunk is, empty when the
  // chunk does not exist. offset + length must not exceed kMaxPayloadLength.
  Status ReadChunk(uint64_t ino, uint64_t index, uint32_t offset, uint32_t length,
                   std::string* out);
  // Which chunks of an inode an operation over many chunks touches (all when empty): a server
  // changes only the chunks it is the head for and replicates the change.
  using ChunkFilter = std::function<bool(uint64_t ino, uint64_t index)>;
  // Cuts the chunks of ino held here to a file of `size` bytes cut into chunk_size pieces: the
  // chunks at or past size go, the chunk holding size is cut to size % chunk_size.
  Status TruncateChunks(uint64_t ino, uint64_t size, uint32_t chunk_size, const ChunkFilter& served,
                        rocksdb::WriteBatch* batch);
  // Deletes the chunks [first_index, end_index) of ino held here (a punched hole).
  Status DeleteChunks(uint64_t ino, uint64_t first_index, uint64_t end_index,
                      const ChunkFilter& served, rocksdb::WriteBatch* batch);
  // Makes every write so far durable.
  Status Sync() { return storage_->SyncWal(); }

 private:
  Storage* const storage_;
};

}  // namespace sealfs
