// How the sealfs command shows modes, sizes and times to people, as coreutils does.
#ifndef SEALFS_CLI_FORMAT_H_
#define SEALFS_CLI_FORMAT_H_

#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <string>

namespace sealfs::cli {

/// "drwxr-xr-x", with s/S/t/T for the set-id and sticky bits, as `ls -l` shows a mode.
std::string ModeString(mode_t mode);

/// The name of a file type for --json output: "file", "directory", "symlink", "fifo",
/// "socket", "char_device", "block_device", or "unknown".
std::string FileTypeName(mode_t mode);

/// The file type in words, as `stat` prints it: "regular file", "directory", ...
std::string FileTypeWords(mode_t mode);

/// A size as `df -h` shows it: powers of 1024, rounded up, one decimal below 10
/// ("0", "1023", "1.0K", "9.9M", "10G", "1.5T").
std::string HumanSize(uint64_t bytes);

/// A modification time as `ls -l` shows it in the C locale: "Jan  2 15:04" when within the
/// six months before now, else "Jan  2  2023"; local time.
std::string LsTime(const timespec& time, const timespec& now);

/// A time as `stat` shows it: "2024-01-02 15:04:05.123456789 +0100", local time.
std::string StatTime(const timespec& time);

/// A time for --json output: RFC 3339 in UTC with nanoseconds, "2024-01-02T14:04:05.123456789Z".
std::string Rfc3339Time(const timespec& time);

/// Nanoseconds since the epoch, for --json output.
int64_t Nanoseconds(const timespec& time);

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_FORMAT_H_
