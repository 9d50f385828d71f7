// One run of a sealfs command: its cluster connection, its messages and its exit status.
#ifndef SEALFS_CLI_SESSION_H_
#define SEALFS_CLI_SESSION_H_

#include <sealfs/sealfs.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealfs::cli {

/// Exit statuses, as coreutils uses them.
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitFailure = 1;  ///< an operand failed (the others were done)
inline constexpr int kExitUsage = 2;    ///< bad command line, or no cluster address

/// A failure that ends the whole command: main prints "sealfs: " + what() and exits with
/// status().
class FatalError : public std::runtime_error {
 public:
  FatalError(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  [[nodiscard]] int status() const { return status_; }

 private:
  int status_;
};

/// An operand quoted as coreutils quotes it in messages: 'a b'.
std::string Quote(std::string_view operand);

/// Prints "sealfs: MESSAGE" on stderr, followed by ": " and strerror(error) when error is not 0.
void PrintError(std::string_view message, int error = 0);

/// Throws the usage error (status 2) of a command that takes SOURCE... DEST (put, get, mv)
/// when paths holds fewer than two operands.
void RequireDestination(const std::vector<std::string>& paths, std::string_view command);

/// The cluster connection (made on first use, from --manager, SEALFS_MANAGER or
/// ./cluster/cluster.env) and the exit status left by failures of single operands: like
/// coreutils, a command reports a failed operand, goes on with the next and exits 1. Not
/// thread-safe.
class Session {
 public:
  /// @param manager_flag  the --manager value, empty when not given.
  explicit Session(std::string manager_flag) : manager_flag_(std::move(manager_flag)) {}

  /// @returns the connected client; throws FatalError when there is no address (status 2) or
  ///          the cluster cannot be reached (status 1).
  sealfs::Client& client();

  /// Gives up on a server after `ms` (request and failover timeouts) rather than the defaults:
  /// for commands that must answer while servers are down. Call before client().
  void set_patience_ms(int ms) { patience_ms_ = ms; }

  /// Reports a failed operand as PrintError does and makes the exit status 1.
  void Fail(std::string_view message, int error = 0);

  /// @returns 0, or 1 once an operand failed.
  [[nodiscard]] int status() const { return status_; }

 private:
  std::string manager_flag_;
  sealfs::Client client_;
  bool connected_ = false;
  int patience_ms_ = 0;  // 0: the library's defaults
  int status_ = kExitSuccess;
};

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_SESSION_H_
