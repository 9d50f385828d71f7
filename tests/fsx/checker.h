// One client of sealfs_fsx: random operations in its own subtree, each result compared with
// the model (model.h), and the whole subtree compared with it every few hundred operations and
// at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "file_system.h"

namespace sealfs::fsx {

struct ClientSettings {
  uint64_t seed = 0;  // the run's seed; the client's operations derive from (seed, client)
  int client = 0;
  long ops = 0;
  std::string root;  // the client's subtree, an absolute path in the file system; created here
  std::size_t max_file_size = 0;
  bool verbose = false;  // print every operation and its result
};

// The operations in the order of the counts RunClient fills.
const std::vector<std::string>& OpNames();

// Runs settings.ops operations against fs, counting each kind in op_counts[OpNames() index].
// Returns true when every result matched the model; otherwise prints what differed, with the
// last operations before it, to standard error and returns false.
bool RunClient(FileSystem& fs, const ClientSettings& settings, uint64_t* op_counts);

}  // namespace sealfs::fsx
