#include "format.h"

#include <fmt/format.h>

#include <array>

namespace sealfs::cli {
namespace {

std::string Strftime(const char* format, const std::tm& tm) {
  std::array<char, 64> buffer{};
  const size_t n = std::strftime(buffer.data(), buffer.size(), format, &tm);
  return {buffer.data(), n};
}

struct FileType {
  mode_t type;        // S_IFREG, ...
  const char* name;   // for --json
  const char* words;  // as stat prints it
};

constexpr std::array<FileType, 7> kFileTypes = {{
    {S_IFREG, "file", "regular file"},
    {S_IFDIR, "directory", "directory"},
    {S_IFLNK, "symlink", "symbolic link"},
    {S_IFIFO, "fifo", "fifo"},
    {S_IFSOCK, "socket", "socket"},
    {S_IFCHR, "char_device", "character special file"},
    {S_IFBLK, "block_device", "block special file"},
}};

const FileType* FindFileType(mode_t mode) {
  for (const auto& type : kFileTypes) {
    if ((mode & S_IFMT) == type.type) return &type;
  }
  return nullptr;
}

}  // namespace

std::string ModeString(mode_t mode) {
  std::string s(10, '-');
  if (S_ISDIR(mode))
    s[0] = 'd';
  else if (S_ISLNK(mode))
    s[0] = 'l';
  else if (S_ISFIFO(mode))
    s[0] = 'p';
  else if (S_ISSOCK(mode))
    s[0] = 's';
  else if (S_ISCHR(mode))
    s[0] = 'c';
  else if (S_ISBLK(mode))
    s[0] = 'b';
  else if (!S_ISREG(mode))
    s[0] = '?';
  static constexpr char kRwx[] = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    if ((mode & (0400U >> static_cast<unsigned>(i))) != 0) s[i + 1] = kRwx[i];
  }
  // The set-id and sticky bits share the execute column: lower case when execute is set too.
  const auto special = [&](size_t column, mode_t bit, char letter) {
    if ((mode & bit) == 0) return;
    s[column] = s[column] == 'x' ? letter : static_cast<char>(letter - 'a' + 'A');
  };
  special(3, S_ISUID, 's');
  special(6, S_ISGID, 's');
  special(9, S_ISVTX, 't');
  return s;
}

std::string FileTypeName(mode_t mode) {
  const FileType* type = FindFileType(mode);
  return type != nullptr ? type->name : "unknown";
}

std::string FileTypeWords(mode_t mode) {
  const FileType* type = FindFileType(mode);
  return type != nullptr ? type->words : "unknown file type";
}

std::string HumanSize(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes);
  static constexpr char kUnits[] = "KMGTPE";
  // Tenths of the unit, rounded up as df does, so that a size is never shown smaller than it is.
  size_t unit = 0;
  uint64_t divisor = 1024;
  while (unit + 1 < sizeof(kUnits) - 1 && bytes / divisor >= 1024) {
    divisor *= 1024;
    ++unit;
  }
  // bytes * 10 could overflow; the remainder times ten cannot (divisor <= 2^60).
  const uint64_t remainder = bytes % divisor;
  const uint64_t tenths = bytes / divisor * 10 + (remainder * 10 + divisor - 1) / divisor;
  if (tenths < 100) return fmt::format("{}.{}{}", tenths / 10, tenths % 10, kUnits[unit]);
  const uint64_t whole = bytes / divisor + (remainder != 0 ? 1 : 0);
  if (whole >= 1024 && unit + 1 < sizeof(kUnits) - 1) return fmt::format("1.0{}", kUnits[unit + 1]);
  return fmt::format("{}{}", whole, kUnits[unit]);
}

std::string LsTime(const timespec& time, const timespec& now) {
  std::tm tm{};
  localtime_r(&time.tv_sec, &tm);
  constexpr time_t kSixMonths = 31556952 / 2;  // half a Gregorian year, as ls uses
  const bool recent = time.tv_sec <= now.tv_sec && now.tv_sec - time.tv_sec < kSixMonths;
  return Strftime(recent ? "%b %e %H:%M" : "%b %e  %Y", tm);
}

std::string StatTime(const timespec& time) {
  std::tm tm{};
  localtime_r(&time.tv_sec, &tm);
  return fmt::format("{}.{:09} {}", Strftime("%Y-%m-%d %H:%M:%S", tm), time.tv_nsec,
                     Strftime("%z", tm));
}

std::string Rfc3339Time(const timespec& time) {
  std::tm tm{};
  gmtime_r(&time.tv_sec, &tm);
  return fmt::format("{}.{:09}Z", Strftime("%Y-%m-%dT%H:%M:%S", tm), time.tv_nsec);
}

int64_t Nanoseconds(const timespec& time) {
  return static_cast<int64_t>(time.tv_sec) * 1000000000 + time.tv_nsec;
}

}  // namespace sealfs::cli
