#include "path.h"

namespace sealfs::client {

Status SplitPath(std::string_view path, std::vector<std::string>* components) {
  components->clear();
  if (path.empty() || path.front() != '/') {
    return Status::Invalid("path must be absolute: '" + std::string(path) + "'");
  }
  if (path.size() >= kMaxPathLength) return {proto::STATUS_NAME_TOO_LONG, "path too long"};
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view component = path.substr(start, end - start);
    if (component.size() > kMaxNameLength) {
      return {proto::STATUS_NAME_TOO_LONG, "component longer than 255 bytes"};
    }
    if (!component.empty()) components->emplace_back(component);
    start = end + 1;
  }
  return Status::Ok();
}

Status CheckName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return Status::Invalid("invalid name");
  if (name.size() > kMaxNameLength) return {proto::STATUS_NAME_TOO_LONG, "name too long"};
  if (name.find('/') != std::string_view::npos) return Status::Invalid("name contains '/'");
  return Status::Ok();
}

}  // namespace sealfs::client
