// ClusterMapStore: the manager's durable copy of the cluster map, in its own RocksDB.
//
// The map is small (one entry per server that ever joined) and always changes as a whole with a
// new epoch, so it is stored as one value and replaced in one synced write: a reader of the
// database never sees a map without its epoch or half of a change.
//
// Key layout (RocksDB under <data-dir>/db, default column family). The keys and the format
// version are on disk: never rename or renumber them.
//
//   key                  value
//   "format_version"     decimal ASCII, kClusterMapFormatVersion ("1")
//   "cluster_map"        serialized proto::ClusterMap (epoch, servers ordered by id,
//                        default_chunk_size)
//
// Both keys are written together in one WriteBatch with sync=true (WAL on, fsync'ed before the
// write returns). A database whose format_version is not one this code reads fails to open.
//
// Thread-safe: RocksDB serializes writes; callers that need read-modify-write (Membership)
// hold their own lock around Load/Save.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sealfs.pb.h"
#include "status.h"

namespace rocksdb {
class DB;
}

namespace sealfs::manager {

// On disk: never renumber.
inline constexpr int kClusterMapFormatVersion = 1;

// The keys, in one place so that the layout above is the whole story.
inline constexpr std::string_view kFormatVersionKey = "format_version";
inline constexpr std::string_view kClusterMapKey = "cluster_map";

class ClusterMapStore {
 public:
  // Opens the database under `data_dir`/db, creating it (and `data_dir`) if missing.
  // Fails with STATUS_IO_ERROR when RocksDB cannot open it (for example, another manager holds
  // its lock) and STATUS_INVALID when it was written in an unknown format.
  static Status Open(const std::string& data_dir, std::unique_ptr<ClusterMapStore>* out);

  ~ClusterMapStore();
  ClusterMapStore(const ClusterMapStore&) = delete;
  ClusterMapStore& operator=(const ClusterMapStore&) = delete;

  // Reads the stored map into *map. *found is false (and *map cleared) when no map was ever
  // saved. A stored value that does not parse is STATUS_IO_ERROR.
  Status Load(proto::ClusterMap* map, bool* found) const;

  // Replaces the stored map; durable (WAL synced) when it returns ok.
  Status Save(const proto::ClusterMap& map);

 private:
  explicit ClusterMapStore(std::unique_ptr<rocksdb::DB> db);

  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace sealfs::manager
