#include "cluster_map_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "rocksdb_log.h"

namespace sealfs::manager {

namespace {

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound(what + ": " + s.ToString());
  return Status::IoError(what + ": " + s.ToString());
}

}  // namespace

ClusterMapStore::ClusterMapStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

ClusterMapStore::~ClusterMapStore() {
  if (db_ != nullptr) {
    // Flushes nothing that matters (every write was synced); releases the lock file.
    (void)db_->Close();
  }
}

Status ClusterMapStore::Open(const std::string& data_dir, std::unique_ptr<ClusterMapStore>* out) {
  out->reset();
  const std::filesystem::path db_path = std::filesystem::path(data_dir) / "db";
  std::error_code ec;
  std::filesystem::create_directories(db_path, ec);
  if (ec) return Status::FromErrno(ec.value(), "create " + db_path.string());

  rocksdb::Options options;
  options.create_if_missing = true;
  // A handful of small writes: keep the footprint small.
  options.max_open_files = 64;
  options.keep_log_file_num = 4;
  // RocksDB's own log goes to the manager's log, not to a LOG file in the data dir (see
  // rocksdb_log.h: a full disk would abort the manager).
  options.info_log = MakeSpdlogRocksDbLogger();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, db_path.string(), &raw);
  if (!s.ok()) return Status::IoError("open " + db_path.string() + ": " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);

  std::string version;
  s = db->Get(rocksdb::ReadOptions(), ToSlice(kFormatVersionKey), &version);
  if (s.ok()) {
    if (version != std::to_string(kClusterMapFormatVersion)) {
      return Status::Invalid(db_path.string() + ": unknown format version '" + version + "'");
    }
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "read format version");
  }
  out->reset(new ClusterMapStore(std::move(db)));
  return Status::Ok();
}

Status ClusterMapStore::Load(proto::ClusterMap* map, bool* found) const {
  map->Clear();
  *found = false;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(kClusterMapKey), &value);
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return FromRocks(s, "read cluster map");
  if (!map->ParseFromString(value)) {
    map->Clear();
    return Status::IoError("stored cluster map does not parse");
  }
  *found = true;
  return Status::Ok();
}

Status ClusterMapStore::Save(const proto::ClusterMap& map) {
  std::string value;
  if (!map.SerializeToString(&value)) return Status::Invalid("cluster map does not serialize");
  rocksdb::WriteBatch batch;
  const std::string version = std::to_string(kClusterMapFormatVersion);
  rocksdb::Status s = batch.Put(ToSlice(kFormatVersionKey), version);
  if (s.ok()) s = batch.Put(ToSlice(kClusterMapKey), value);
  if (!s.ok()) return FromRocks(s, "build write batch");
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  return FromRocks(db_->Write(write_options, &batch), "write cluster map");
}

}  // namespace sealfs::manager
