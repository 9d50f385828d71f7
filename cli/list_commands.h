// `sealfs ls` and `sealfs stat`: what is in a directory and what a path is.
#ifndef SEALFS_CLI_LIST_COMMANDS_H_
#define SEALFS_CLI_LIST_COMMANDS_H_

#include <string>
#include <vector>

#include "session.h"

namespace sealfs::cli {

struct ListOptions {
  bool long_format = false;        ///< -l: mode, links, uid, gid, size, mtime, name -> target
  bool all = false;                ///< -a: names starting with '.', "." and ".." included
  bool almost_all = false;         ///< -A: names starting with '.', without "." and ".."
  bool directory = false;          ///< -d: directories themselves, not their content
  bool json = false;               ///< one JSON array of entries with every attribute
  std::vector<std::string> paths;  ///< operands; "/" when none
};

/// Lists as `ls -1` does (or `ls -ln` with long_format): file operands first, then each
/// directory's entries sorted bytewise, under a "DIR:" header when there are several operands.
/// @returns the exit status: 0, or 1 when an operand could not be listed.
int RunList(Session& session, const ListOptions& options);

struct StatOptions {
  bool dereference = false;  ///< -L: describe the target of a symlink
  bool json = false;         ///< one JSON array, an object per path
  std::vector<std::string> paths;
};

/// Describes each path as `stat` does (no device line; ids are numbers).
/// @returns the exit status: 0, or 1 when a path could not be described.
int RunStat(Session& session, const StatOptions& options);

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_LIST_COMMANDS_H_
