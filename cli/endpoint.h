// The two ends of a copy, the local file system and the cluster, behind one interface, so that
// `sealfs put` and `sealfs get` are the same walk in opposite directions.
#ifndef SEALFS_CLI_ENDPOINT_H_
#define SEALFS_CLI_ENDPOINT_H_

#include <sys/stat.h>

#include <cstddef>
#include <memory>
#include <sealfs/sealfs.hpp>
#include <string>
#include <vector>

namespace sealfs::cli {

/// An open file of one end. Every call returns 0 or an errno (positive). Not thread-safe.
class Stream {
 public:
  virtual ~Stream() = default;
  /// Reads until buf is full or the file ends (so that each request is as large as the buffer,
  /// even from a pipe); *got is 0 at the end.
  virtual int Read(char* buf, size_t size, size_t* got) = 0;
  /// Writes all of buf.
  virtual int Write(const char* buf, size_t size) = 0;
  /// Closes the file, reporting what a deferred write may fail with.
  virtual int Close() = 0;
};

/// A file system that files are copied from or to. Every call returns 0 or an errno.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  /// Describes path; follow chooses stat over lstat.
  virtual int Stat(const std::string& path, bool follow, struct stat* st) = 0;
  /// The names in a directory, "." and ".." left out, sorted bytewise.
  virtual int List(const std::string& path, std::vector<std::string>* names) = 0;
  virtual int MakeDirectory(const std::string& path, mode_t mode) = 0;
  virtual int ReadLink(const std::string& path, std::string* target) = 0;
  virtual int Symlink(const std::string& target, const std::string& path) = 0;
  virtual int Unlink(const std::string& path) = 0;
  /// Opens path for reading, or for writing (created with mode, or truncated).
  virtual int Open(const std::string& path, bool for_writing, mode_t mode,
                   std::unique_ptr<Stream>* stream) = 0;
};

/// The local file system; the path "-" opens standard input or standard output.
std::unique_ptr<Endpoint> LocalEndpoint();

/// The cluster of a connected client, which must outlive it.
std::unique_ptr<Endpoint> ClusterEndpoint(sealfs::Client& client);

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_ENDPOINT_H_
