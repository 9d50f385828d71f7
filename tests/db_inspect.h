// Reading a stopped server's RocksDB from a test: which records does it hold?
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace sealfs::test {

// The chunk records of `ino` in one server's database (<data dir>/db, opened read-only; the
// server must be stopped), by chunk index. *error is set when the database cannot be read.
std::map<uint64_t, int> ChunkKeysOf(const std::string& db_path, uint64_t ino, std::string* error);

// The names of the directory entries under `parent_ino` in one server's database (stopped).
std::set<std::string> EntryNamesOf(const std::string& db_path, uint64_t parent_ino,
                                   std::string* error);

}  // namespace sealfs::test
