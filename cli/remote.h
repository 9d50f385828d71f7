// Paths of the cluster as the sealfs command takes them, and the adapter from the C++ face's
// exceptions to the errno values its messages report.
#ifndef SEALFS_CLI_REMOTE_H_
#define SEALFS_CLI_REMOTE_H_

#include <sealfs/sealfs.hpp>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace sealfs::cli {

/// A cluster path from an operand: "/" is put in front of a relative one ("a/b" is "/a/b"),
/// repeated slashes become one and a trailing slash goes ("/a//b/" is "/a/b").
std::string RemotePath(std::string_view operand);

/// dir + "/" + name, without doubling the slash after "/".
std::string JoinPath(std::string_view dir, std::string_view name);

/// The last component of a path, trailing slashes ignored ("/a/b/" gives "b", "/" gives "/").
std::string BaseName(std::string_view path);

/// Runs call, which uses sealfs.hpp, and turns what it throws into the errno of a message.
/// @returns 0, or the errno (positive) of the std::system_error it threw.
template <typename Call>
int ErrnoOf(Call&& call) {
  try {
    call();
    return 0;
  } catch (const std::system_error& e) {
    return e.code().value();
  }
}

/// Reads every name of a remote directory, "." and ".." left out, sorted bytewise (as
/// `LC_ALL=C ls` does; the servers list in no common order).
/// @returns 0, or the errno of sealfs_opendir or sealfs_readdir.
int ReadDirectoryNames(sealfs::Client& client, const std::string& path,
                       std::vector<std::string>* names);

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_REMOTE_H_
