// `sealfs cluster start|stop|status|address`: the local cluster on 127.0.0.1 that the README
// uses, in the layout of scripts/sealfs-cluster, so that either tool stops what the other
// started:
//   DIR/manager/      the manager's data        DIR/manager.log    its output
//   DIR/server-K/     server K's data           DIR/server-K.log   its output
//   DIR/cluster.env   SEALFS_MANAGER=127.0.0.1:PORT, SEALFS_CLUSTER_DIR, SEALFS_MANAGER_PID,
//                     SEALFS_SERVER_PIDS, SEALFS_SERVER_ADDRESSES
// A process is signalled only while /proc shows it is a sealfs-* process with
// "--data-dir DIR/..." on its command line, so a recycled PID is never signalled.
#ifndef SEALFS_CLI_LOCAL_CLUSTER_H_
#define SEALFS_CLI_LOCAL_CLUSTER_H_

#include <string>

namespace sealfs::cli {

struct ClusterStartOptions {
  std::string dir = "./cluster";
  int servers = 0;               ///< 0: as many as DIR holds data of, 3 for a new DIR
  int timeout_seconds = 30;      ///< for each process to listen and every server to be UP
  bool force = false;            ///< start another number of servers than DIR holds data of
  int heartbeat_timeout_ms = 0;  ///< the manager's --heartbeat-timeout-ms; 0 keeps its default
};

/// Starts one sealfs-manager and the servers on free ports of 127.0.0.1, detached (own
/// session, output in DIR/*.log), and returns once every server is UP in the cluster map. The
/// binaries are taken from $SEALFS_BIN, else from beside this program (its directory, or
/// ../manager and ../server in a build tree). What it started is stopped again if it fails.
/// @returns the exit status; throws FatalError when it cannot start.
int StartLocalCluster(const ClusterStartOptions& options);

/// Stops the processes recorded in DIR/cluster.env: servers, then the manager; SIGTERM, and
/// SIGKILL for those still running after timeout_seconds. Their data stays in DIR.
int StopLocalCluster(const std::string& dir, int timeout_seconds);

/// Prints which recorded processes are running.
/// @returns 0 when all are, 3 when none is, 1 otherwise (as scripts/sealfs-cluster status).
int LocalClusterStatus(const std::string& dir);

/// Prints the manager's HOST:PORT recorded in DIR/cluster.env.
int PrintLocalClusterAddress(const std::string& dir);

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_LOCAL_CLUSTER_H_
