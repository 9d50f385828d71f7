#include "remote.h"

#include <algorithm>

namespace sealfs::cli {

std::string RemotePath(std::string_view operand) {
  std::string path = "/";
  for (const char c : operand) {
    if (c == '/' && path.back() == '/') continue;
    path += c;
  }
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string path(dir);
  if (path.empty() || path.back() != '/') path += '/';
  path += name;
  return path;
}

std::string BaseName(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || path.size() == 1) return std::string(path);
  return std::string(path.substr(slash + 1));
}

int ReadDirectoryNames(sealfs::Client& client, const std::string& path,
                       std::vector<std::string>* names) {
  names->clear();
  const int error = ErrnoOf([&] {
    for (const sealfs::DirEntry& entry : client.list(path)) {
      if (entry.name != "." && entry.name != "..") names->push_back(entry.name);
    }
  });
  std::sort(names->begin(), names->end());
  return error;
}

}  // namespace sealfs::cli
