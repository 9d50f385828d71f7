#include "db_inspect.h"

#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>

#include <cstring>
#include <memory>
#include <vector>

namespace sealfs::test {

namespace {

// The server writes chunks as merge operands; to count keys any merge result will do.
class KeysOnlyMergeOperator : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& /*input*/,
                   MergeOperationOutput* output) const override {
    output->new_value.clear();
    return true;
  }
  [[nodiscard]] const char* Name() const override { return "KeysOnlyMergeOperator"; }
};

// Calls `visit` with every key of `family` that starts with the 8-byte big-endian `ino`.
template <typename Visit>
void VisitKeysOf(const std::string& db_path, const std::string& family, uint64_t ino,
                 std::string* error, Visit visit) {
  std::vector<std::string> families;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_path, &families);
  if (!s.ok()) {
    *error = "ListColumnFamilies " + db_path + ": " + s.ToString();
    return;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.reserve(families.size());
  rocksdb::ColumnFamilyOptions family_options;
  family_options.merge_operator = std::make_shared<KeysOnlyMergeOperator>();
  for (const auto& f : families) descriptors.emplace_back(f, family_options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), db_path, descriptors, &handles, &raw);
  if (!s.ok()) {
    *error = "OpenForReadOnly " + db_path + ": " + s.ToString();
    return;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* cf = nullptr;
  for (std::size_t i = 0; i < families.size(); ++i) {
    if (families[i] == family) cf = handles[i];
  }
  if (cf == nullptr) {
    *error = db_path + " has no column family \"" + family + "\"";
  } else {
    char prefix[8];
    for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>(ino >> (56 - 8 * i));
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
    for (it->Seek(rocksdb::Slice(prefix, 8)); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      if (key.size() < 8 || std::memcmp(key.data(), prefix, 8) != 0) break;
      visit(key);
    }
    if (!it->status().ok()) *error = "iterating " + db_path + ": " + it->status().ToString();
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
}

}  // namespace

std::map<uint64_t, int> ChunkKeysOf(const std::string& db_path, uint64_t ino, std::string* error) {
  std::map<uint64_t, int> chunks;
  VisitKeysOf(db_path, "chunks", ino, error, [&](const rocksdb::Slice& key) {
    if (key.size() < 16) return;
    uint64_t index = 0;
    for (int i = 8; i < 16; ++i) index = (index << 8) | static_cast<uint8_t>(key.data()[i]);
    ++chunks[index];
  });
  return chunks;
}

std::set<std::string> EntryNamesOf(const std::string& db_path, uint64_t parent_ino,
                                   std::string* error) {
  std::set<std::string> names;
  VisitKeysOf(db_path, "dentries", parent_ino, error,
              [&](const rocksdb::Slice& key) { names.emplace(key.data() + 8, key.size() - 8); });
  return names;
}

}  // namespace sealfs::test
