// Where the sealfs command finds the cluster: the manager's HOST:PORT.
#ifndef SEALFS_CLI_ADDRESS_H_
#define SEALFS_CLI_ADDRESS_H_

#include <optional>
#include <string>
#include <string_view>

namespace sealfs::cli {

/// The file `sealfs cluster start` (and scripts/sealfs-cluster) writes in the default cluster
/// dir, read when neither --manager nor SEALFS_MANAGER gives the address.
inline constexpr std::string_view kDefaultClusterEnv = "./cluster/cluster.env";

/// A manager address and where it came from, for messages ("from SEALFS_MANAGER").
struct ManagerAddress {
  std::string address;
  std::string source;
};

/// The manager's address: the --manager flag when given (non-empty), else $SEALFS_MANAGER when
/// set and non-empty, else SEALFS_MANAGER in ./cluster/cluster.env; nullopt when none gives one.
std::optional<ManagerAddress> FindManagerAddress(const std::string& flag);

/// The value of KEY in a file of KEY=VALUE or KEY="VALUE" lines (the last one wins), as
/// scripts/sealfs-cluster writes them; nullopt when the file or the key is missing.
std::optional<std::string> ReadEnvValue(const std::string& file, std::string_view key);

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_ADDRESS_H_
