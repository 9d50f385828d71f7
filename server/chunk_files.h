// ChunkFiles: the bytes of every chunk stored on a server, one file per chunk beside RocksDB.
//
// A chunk's bytes are written once, into <data-dir>/chunks/<hh>/<ino>-<index> (hex; hh spreads
// the files over 256 directories), and RocksDB keeps only a small record saying the chunk
// exists (Storage, storage.h). Before, each byte went through RocksDB's log and memtable, then
// into a blob file at flush: two writes to the disk, a checksum and two copies in memory.
//
// What a change of the chunks column family becomes (the same semantics as the merge operator,
// chunk_merge_operator.h): a put replaces the file's bytes, a patch operand is a pwrite (a gap
// reads as zeros), a truncate operand cuts the file when it is longer, a deletion unlinks it.
//
// Apply allocates the blocks of every change first (fallocate), so that a full disk fails a
// batch before any of its bytes land rather than halfway through it; then the caller writes
// the records, then the bytes go to the files. A failure after the records are written (an I/O
// error) stops the process rather than leave records and files disagreeing: the next start
// matches them again (Storage::Open) and the passes repair this copy from the others. Durability is
// RocksDB's: an applied change survives a crash of the process at once (it is in the page cache)
// and a crash of the machine after Sync (or an Apply with `sync`), which syncs the files written
// and the directories of the files created since the last one (the whole file system with one
// syncfs when they are many).
//
// Thread-safe. Changes of one chunk must not race (the replicator's key locks see to it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace sealfs {

struct ChunkChange {
  enum class Kind { kReplace, kPatch, kTruncate, kDelete };
  Kind kind = Kind::kPatch;
  std::string key;        // keys::ChunkKey
  uint32_t offset = 0;    // kPatch: where data goes
  std::string_view data;  // kReplace, kPatch: the bytes (owned by the caller's batch)
  uint32_t length = 0;    // kTruncate: the length to cut to
};

class ChunkFiles {
 public:
  // Creates `root` and its directories when missing.
  static Status Open(const std::string& root, std::unique_ptr<ChunkFiles>* out);

  // Applies changes in order. Durable at once when `sync`; otherwise at the next Sync.
  // `write_records` (optional) runs once the blocks are allocated and before any byte is
  // written: when it fails, nothing is changed. A failure after it (an I/O error) stops the
  // process (FailStop).
  Status Apply(const std::vector<ChunkChange>& changes, bool sync,
               const std::function<Status()>& write_records = {});
  // Makes every change applied so far survive a crash of the machine. A sync that fails stops
  // the process: the kernel has dropped what it could not write, and would not say so twice.
  Status Sync();

  // The whole chunk; STATUS_NOT_FOUND when there is none.
  Status Read(std::string_view key, std::string* out) const;
  // Up to `length` bytes from `offset`: shorter at the chunk's end, empty when it does not exist.
  Status ReadRange(std::string_view key, uint32_t offset, uint32_t length, std::string* out) const;
  // The chunk's length; STATUS_NOT_FOUND when there is none.
  Status Length(std::string_view key, uint64_t* length) const;

  // The keys of every chunk file (Storage matches them against its records at Open).
  Status ListKeys(std::vector<std::string>* keys) const;
  // Removes a chunk's file, if any (Storage, for a file whose record is missing).
  Status Remove(std::string_view key);

 private:
  explicit ChunkFiles(std::string root) : root_(std::move(root)) {}
  struct OpenChunk;
  // Up to `length` bytes from `offset`; STATUS_NOT_FOUND when there is no such chunk.
  Status ReadUpTo(std::string_view key, uint64_t offset, uint64_t length, std::string* out) const;
  // <root>/<hh>; empty when the key is not a chunk key.
  [[nodiscard]] std::string DirectoryOf(std::string_view key) const;
  [[nodiscard]] std::string PathOf(std::string_view key) const;
  // Opens a chunk's file for writing, creating it when missing; `likely_new` tries creating first.
  Status OpenForWrite(const std::string& key, bool likely_new, OpenChunk* out) const;
  // Writes one change through its open file (none for a deletion).
  static Status Write(const ChunkChange& change, const OpenChunk& file);
  // Logs why and aborts the process.
  [[noreturn]] static void FailStop(const Status& status);

  const std::string root_;
  std::mutex sync_mutex_;  // held by Sync throughout
  std::mutex mutex_;
  std::set<std::string> unsynced_files_;        // GUARDED_BY(mutex_)
  std::set<std::string> unsynced_directories_;  // GUARDED_BY(mutex_): with files created
};

}  // namespace sealfs
