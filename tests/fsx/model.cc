#include "model.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

namespace sealfs::fsx {

namespace {

// True when path lies strictly below dir ("" is the root).
bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir.empty()) return !path.empty();
  return path.size() > dir.size() + 1 && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

}  // namespace

std::string ParentOf(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

void File::Write(std::size_t offset, const std::string& bytes) {
  if (data.size() < offset + bytes.size()) data.resize(offset + bytes.size(), '\0');
  data.replace(offset, bytes.size(), bytes);
}

FilePtr Model::FileAt(const std::string& path) const {
  const auto it = files_.find(path);
  return it == files_.end() ? nullptr : it->second;
}

bool Model::Exists(const std::string& path) const { return IsDir(path) || FileAt(path); }

std::vector<std::string> Model::Children(const std::string& dir) const {
  std::set<std::string> names;
  auto add = [&](const std::string& path) {
    if (IsUnder(path, dir) && ParentOf(path) == dir) {
      names.insert(dir.empty() ? path : path.substr(dir.size() + 1));
    }
  };
  for (const auto& d : dirs_) add(d);
  for (const auto& [path, file] : files_) add(path);
  return {names.begin(), names.end()};
}

int Model::DirLinks(const std::string& dir) const {
  int links = 2;
  for (const auto& d : dirs_) links += IsUnder(d, dir) && ParentOf(d) == dir ? 1 : 0;
  return links;
}

bool Model::Empty(const std::string& dir) const {
  const auto under = [&](const std::string& path) { return IsUnder(path, dir); };
  return std::ranges::none_of(dirs_, under) &&
         std::ranges::none_of(files_, [&](const auto& entry) { return under(entry.first); });
}

int Model::ParentError(const std::string& path) const {
  const std::string parent = ParentOf(path);
  for (std::size_t end = 0; end != std::string::npos && !parent.empty();) {
    end = parent.find('/', end + 1);
    const std::string prefix = parent.substr(0, end);
    if (IsDir(prefix)) continue;
    return FileAt(prefix) ? ENOTDIR : ENOENT;
  }
  return 0;
}

void Model::DropName(const std::string& path) {
  --files_.at(path)->nlink;
  files_.erase(path);
}

Allowed Model::Lookup(const std::string& path) const {
  if (const int e = ParentError(path)) return {e};
  return {Exists(path) ? 0 : ENOENT};
}

Allowed Model::Open(const std::string& path, int flags, FilePtr* file) {
  if (const int e = ParentError(path)) return {e};
  const bool create = (flags & O_CREAT) != 0;
  const bool exclusive = create && (flags & O_EXCL) != 0;
  if (IsDir(path)) return {exclusive ? EEXIST : EISDIR};
  FilePtr f = FileAt(path);
  if (!f) {
    if (!create) return {ENOENT};
    f = files_[path] = std::make_shared<File>();
  } else if (exclusive) {
    return {EEXIST};
  } else if ((flags & O_TRUNC) != 0) {
    f->data.clear();
  }
  *file = f;
  return {0};
}

// NOLINTNEXTLINE(readability-make-member-function-const): it changes a file of the model.
Allowed Model::Truncate(const std::string& path, std::size_t size) {
  if (const int e = ParentError(path)) return {e};
  if (IsDir(path)) return {EISDIR};
  const FilePtr f = FileAt(path);
  if (!f) return {ENOENT};
  f->Resize(size);
  return {0};
}

Allowed Model::Mkdir(const std::string& path) {
  if (const int e = ParentError(path)) return {e};
  if (Exists(path)) return {EEXIST};
  dirs_.insert(path);
  return {0};
}

Allowed Model::Rmdir(const std::string& path) {
  if (const int e = ParentError(path)) return {e};
  if (FileAt(path)) return {ENOTDIR};
  if (!IsDir(path)) return {ENOENT};
  if (!Empty(path)) return {ENOTEMPTY};
  dirs_.erase(path);
  return {0};
}

Allowed Model::Unlink(const std::string& path) {
  if (const int e = ParentError(path)) return {e};
  if (IsDir(path)) return {EISDIR};
  if (!FileAt(path)) return {ENOENT};
  DropName(path);
  return {0};
}

// Linux resolves the old path completely, then the new path's parent; an existing new name
// (EEXIST) is reported before a directory as the old one (EPERM).
Allowed Model::Link(const std::string& from, const std::string& to) {
  if (const int e = ParentError(from)) return {e};
  if (!Exists(from)) return {ENOENT};
  if (const int e = ParentError(to)) return {e};
  if (Exists(to)) return {EEXIST};
  if (IsDir(from)) return {EPERM};
  const FilePtr f = FileAt(from);
  ++f->nlink;
  files_[to] = f;
  return {0};
}

// Linux's order (do_renameat2, vfs_rename): both parents, the old name, a directory moved
// below itself (EINVAL), a new name that is an ancestor of the old (ENOTEMPTY), then the types
// and the emptiness of the name replaced.
Allowed Model::Rename(const std::string& from, const std::string& to) {
  if (const int e = ParentError(from)) return {e};
  if (const int e = ParentError(to)) return {e};
  if (!Exists(from)) return {ENOENT};
  const bool dir = IsDir(from);
  if (from == to) return {0};
  if (dir && IsUnder(to, from)) return {EINVAL};
  // A file renamed over a directory holding it: POSIX allows EISDIR as well as ENOTEMPTY.
  if (IsUnder(from, to)) return dir ? Allowed{ENOTEMPTY} : Allowed{ENOTEMPTY, EISDIR};
  if (Exists(to)) {
    if (dir && !IsDir(to)) return {ENOTDIR};
    if (!dir && IsDir(to)) return {EISDIR};
    if (dir && !Empty(to)) return {ENOTEMPTY};
    if (!dir && FileAt(from) == FileAt(to)) return {0};  // two names of one file: no change
    if (dir) {
      dirs_.erase(to);
    } else {
      DropName(to);
    }
  }
  auto moved = [&](const std::string& path) { return to + path.substr(from.size()); };
  std::set<std::string> dirs;
  for (const auto& d : dirs_) dirs.insert(d == from || IsUnder(d, from) ? moved(d) : d);
  std::map<std::string, FilePtr> files;
  for (const auto& [path, f] : files_)
    files[path == from || IsUnder(path, from) ? moved(path) : path] = f;
  dirs_ = std::move(dirs);
  files_ = std::move(files);
  return {0};
}

}  // namespace sealfs::fsx
