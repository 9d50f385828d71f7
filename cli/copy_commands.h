// `sealfs cat`, `sealfs put` and `sealfs get`: file content between the cluster and here.
#ifndef SEALFS_CLI_COPY_COMMANDS_H_
#define SEALFS_CLI_COPY_COMMANDS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "session.h"

namespace sealfs::cli {

/// The size of each read and write of a copy. Large, because one sealfs_write or sealfs_read
/// sends all of its chunks at once: a bigger buffer keeps more servers busy.
inline constexpr size_t kCopyBufferSize = size_t{8} << 20;

struct CatOptions {
  std::vector<std::string> paths;
};

/// Writes the content of each file to standard output, byte for byte, as `cat` does.
/// @returns the exit status: 0, or 1 when a file could not be read.
int RunCat(Session& session, const CatOptions& options);

struct CopyOptions {
  bool recursive = false;  ///< -r: directories with everything below them
  bool progress = true;    ///< draw a progress bar when stdout and stderr are terminals
  /// SOURCE... DEST, as cp takes them: with several sources DEST must be a directory; into
  /// DEST when it is a directory. "-" is standard input (put) or standard output (get).
  std::vector<std::string> paths;
};

/// Copies local files (and with -r trees) into the cluster.
/// @returns the exit status: 0, or 1 when a source could not be copied.
int RunPut(Session& session, const CopyOptions& options);

/// Copies files (and with -r trees) of the cluster to local paths.
/// @returns the exit status: 0, or 1 when a source could not be copied.
int RunGet(Session& session, const CopyOptions& options);

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_COPY_COMMANDS_H_
