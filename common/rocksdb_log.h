// RocksDB's info log, sent to the process's spdlog logger instead of a LOG file in the data dir.
//
// Why: on a full disk a write to that LOG file fails, and Debian's RocksDB then asserts (aborts
// the process) on the next line it writes there. Routing the log to spdlog (stderr) keeps a
// full data dir from taking the process down and keeps the data dir free of log files.
//
// Separate from sealfs_common because only the processes that run RocksDB (sealfs-server,
// sealfs-manager) need it: the client library must not depend on RocksDB.
#pragma once

#include <memory>

namespace rocksdb {
class Logger;
}

namespace sealfs {

// A logger for DBOptions::info_log. It passes on warnings and errors only (RocksDB's info lines
// describe every flush and compaction), as spdlog warn and error lines prefixed "rocksdb: ".
// Thread-safe, as spdlog's default logger is.
std::shared_ptr<rocksdb::Logger> MakeSpdlogRocksDbLogger();

}  // namespace sealfs
