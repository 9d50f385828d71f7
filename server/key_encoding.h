// Every byte layout that sealfs-server stores in RocksDB, in one place.
//
// WARNING: these encodings are on disk. Never change one in place; add a new one beside it.
//
// Column family  key                                   value
// -------------  ------------------------------------  ------------------------------------------
// inodes         ino (8 bytes, big-endian)              serialized proto::InodeAttr
// dentries       parent ino (8, BE) + name bytes        serialized proto::Dentry
// xattrs         ino (8, BE) + attribute name bytes     raw attribute value
// chunks         ino (8, BE) + chunk index (8, BE)      empty: the bytes are in the chunk's file
//                                                       (chunk_files.h); or 'I' + the bytes of a
//                                                       chunk small enough to stay inline.
//                                                       (Older versions: the raw bytes and the
//                                                       operands below, moved out at Open.)
// requests       request id (8, BE) + placement key     unix seconds (8, BE) + serialized reply
//                of the request's first record          (a retried request gets this reply)
//                (8-byte keys of earlier versions, without the placement key, are never read)
// intents        request id (8, BE) + placement key     serialized proto::Intent
//                of the coordinator                     (as requests: the same key layout)
//
// Big-endian integers make the byte order of keys the numeric order, so that a prefix scan over
// one parent lists a directory in name order and a scan over one ino finds all its chunks and
// attributes in order.
//
// Chunk merge operands (the form writes take in a replicated batch, see chunk_store.h):
//   patch:     'P' + offset (4 bytes, BE) + data   zero-fills the chunk up to offset, then
//                                                  writes data at offset (extending the chunk)
//   truncate:  'T' + length (4 bytes, BE)          cuts the chunk to length if it is longer
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sealfs::keys {

inline constexpr std::size_t kInoSize = 8;
inline constexpr std::size_t kChunkKeySize = 16;

// The 8-byte big-endian form of ino: an inode key, and the prefix of the dentries of a directory,
// of the xattrs of an inode and of the chunks of an inode.
std::string InoPrefix(uint64_t ino);
// The smallest key greater than every key that starts with InoPrefix(ino); empty when there is
// none (ino is the largest value), in which case scans check the prefix themselves.
std::string InoPrefixEnd(uint64_t ino);

std::string InodeKey(uint64_t ino);
bool DecodeInodeKey(std::string_view key, uint64_t* ino);

std::string DentryKey(uint64_t parent, std::string_view name);
// *name points into key.
bool DecodeDentryKey(std::string_view key, uint64_t* parent, std::string_view* name);

std::string XattrKey(uint64_t ino, std::string_view name);
bool DecodeXattrKey(std::string_view key, uint64_t* ino, std::string_view* name);

std::string ChunkKey(uint64_t ino, uint64_t index);
bool DecodeChunkKey(std::string_view key, uint64_t* ino, uint64_t* index);

// The reply of a request travels with the records it wrote, placed by `placement_key`.
std::string RequestKey(uint64_t request_id, std::string_view placement_key);
// *placement_key points into key.
bool DecodeRequestKey(std::string_view key, uint64_t* request_id, std::string_view* placement_key);
std::string RequestValue(uint64_t unix_seconds, std::string_view reply);
// *reply points into value.
bool DecodeRequestValue(std::string_view value, uint64_t* unix_seconds, std::string_view* reply);

// A chunk record that holds its chunk's bytes (one without them is empty).
inline constexpr char kInlineChunkTag = 'I';
std::string InlineChunkRecord(std::string_view bytes);
// True when the record holds its chunk's bytes; *bytes points into record.
bool DecodeInlineChunkRecord(std::string_view record, std::string_view* bytes);

// Chunk merge operands.
inline constexpr char kPatchTag = 'P';
inline constexpr char kTruncateTag = 'T';
inline constexpr std::size_t kOperandHeaderSize = 5;

// The header of a patch operand; the data follows it.
std::string PatchOperandHeader(uint32_t offset);
std::string TruncateOperand(uint32_t length);

struct ChunkOperand {
  enum class Kind { kPatch, kTruncate };
  Kind kind = Kind::kPatch;
  uint32_t offset = 0;    // patch: where data goes
  std::string_view data;  // patch: the bytes (points into the operand)
  uint32_t length = 0;    // truncate: the length to cut to
};
// False when the bytes are not an operand.
bool DecodeChunkOperand(std::string_view operand, ChunkOperand* out);

}  // namespace sealfs::keys
