// `sealfs status`: the cluster map's servers, their state and capacity.
#ifndef SEALFS_CLI_STATUS_COMMAND_H_
#define SEALFS_CLI_STATUS_COMMAND_H_

#include <sealfs/sealfs.h>

#include <cstdint>
#include <string>
#include <vector>

#include "session.h"

namespace sealfs::cli {

struct StatusOptions {
  bool json = false;  ///< one JSON object: epoch, servers, totals
};

/// Prints the map's epoch and each server: id, address, UP/DOWN, whether it answered, its
/// capacity and inode count.
/// @returns the exit status: 0 once the manager answered (whatever the servers' state).
int RunStatus(Session& session, const StatusOptions& options);

/// The text `sealfs status` prints for a map (a pure function, for the unit test).
std::string StatusText(uint64_t epoch, const std::vector<sealfs_server_status>& servers);

/// The JSON object `sealfs status --json` prints for a map.
std::string StatusJson(uint64_t epoch, const std::vector<sealfs_server_status>& servers);

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_STATUS_COMMAND_H_
