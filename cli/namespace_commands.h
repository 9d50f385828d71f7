// `sealfs rm`, `sealfs mkdir` and `sealfs mv`: changes to the names of the cluster.
#ifndef SEALFS_CLI_NAMESPACE_COMMANDS_H_
#define SEALFS_CLI_NAMESPACE_COMMANDS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "session.h"

namespace sealfs::cli {

struct RemoveOptions {
  bool recursive = false;        ///< -r: directories and everything below them
  bool force = false;            ///< -f: a missing operand is no failure
  bool empty_directory = false;  ///< -d: empty directories too
  std::vector<std::string> paths;
};

/// Removes as `rm` does (there is no prompting; -f only silences missing operands).
/// @returns the exit status: 0, or 1 when something could not be removed.
int RunRemove(Session& session, const RemoveOptions& options);

struct MakeDirectoryOptions {
  bool parents = false;        ///< -p: make missing parents, no failure if it exists
  std::optional<mode_t> mode;  ///< -m: exact permission bits (umask not applied)
  std::vector<std::string> paths;
};

/// Creates directories as `mkdir` does.
/// @returns the exit status: 0, or 1 when a directory could not be created.
int RunMakeDirectory(Session& session, const MakeDirectoryOptions& options);

/// Parses a -m operand: octal digits only, up to 07777.
std::optional<mode_t> ParseOctalMode(const std::string& text);

struct MoveOptions {
  /// SOURCE... DEST: with more than one source, DEST must be a directory.
  std::vector<std::string> paths;
};

/// Renames as `mv` does: into DEST when it is a directory, over DEST otherwise.
/// @returns the exit status: 0, or 1 when a source could not be moved.
int RunMove(Session& session, const MoveOptions& options);

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_NAMESPACE_COMMANDS_H_
