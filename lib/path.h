// Checks and splits file-system paths before any request is sent.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace sealfs::client {

inline constexpr std::size_t kMaxNameLength = 255;   // NAME_MAX
inline constexpr std::size_t kMaxPathLength = 4096;  // PATH_MAX, with the terminating NUL
// Links followed in one resolution before ELOOP, as Linux's MAXSYMLINKS.
inline constexpr int kMaxSymlinkDepth = 40;

// Splits an absolute path into its components, dropping empty ones ("//") but keeping "." and
// ".." (resolved against the real directories, after symlinks: "file/." is not a directory). Fails
// with STATUS_INVALID for a relative or empty path and STATUS_NAME_TOO_LONG for a component over
// 255 bytes or a path of 4096 bytes or more.
Status SplitPath(std::string_view path, std::vector<std::string>* components);

// Checks one name for a new entry: not empty, not "." or "..", no '/', at most 255 bytes.
Status CheckName(std::string_view name);

}  // namespace sealfs::client
