// What one client's subtree must hold after each call, by Linux's rules: the model that
// sealfs_fsx checks SealFS (or a local directory) against.
//
// Paths are relative to the subtree's root, "" being the root itself ("a/b"). A file is a
// shared object so that hard links share one content and one link count; a directory is a
// path in a set. Each call returns the errnos the call may report (0 for success) and, when it
// succeeds, changes the model. Not thread-safe: one model per client process.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace sealfs::fsx {

// The results a call may have: 0 for success or a positive errno. Usually one; two where POSIX
// lets the error checks run in either order (see Model::Rename).
using Allowed = std::set<int>;

struct File {
  std::string data;
  int nlink = 1;

  void Write(std::size_t offset, const std::string& bytes);
  void Resize(std::size_t size) { data.resize(size, '\0'); }
};
using FilePtr = std::shared_ptr<File>;

class Model {
 public:
  Model() { dirs_.insert(""); }

  [[nodiscard]] FilePtr FileAt(const std::string& path) const;
  [[nodiscard]] bool IsDir(const std::string& path) const { return dirs_.count(path) != 0; }
  [[nodiscard]] bool Exists(const std::string& path) const;
  // Names directly in dir, sorted; dir must be a directory.
  [[nodiscard]] std::vector<std::string> Children(const std::string& dir) const;
  // A directory's link count as Linux's ext4 keeps it: itself, ".", and each subdirectory's "..".
  [[nodiscard]] int DirLinks(const std::string& dir) const;
  [[nodiscard]] const std::set<std::string>& dirs() const { return dirs_; }
  [[nodiscard]] const std::map<std::string, FilePtr>& files() const { return files_; }

  // The error of reaching path's parent: 0, ENOENT (a component is missing) or ENOTDIR (one is
  // a file).
  [[nodiscard]] int ParentError(const std::string& path) const;

  // lstat(2): 0 when path exists, else the error of reaching it.
  [[nodiscard]] Allowed Lookup(const std::string& path) const;
  // open(2) of path with flags. On success *file is the file opened (created if need be,
  // emptied with O_TRUNC). Opening a directory is only generated with O_CREAT or for writing,
  // which Linux refuses, so that every descriptor names a regular file.
  Allowed Open(const std::string& path, int flags, FilePtr* file);
  Allowed Truncate(const std::string& path, std::size_t size);
  Allowed Mkdir(const std::string& path);
  Allowed Rmdir(const std::string& path);
  Allowed Unlink(const std::string& path);
  Allowed Link(const std::string& from, const std::string& to);
  Allowed Rename(const std::string& from, const std::string& to);

 private:
  [[nodiscard]] bool Empty(const std::string& dir) const;
  void DropName(const std::string& path);

  std::map<std::string, FilePtr> files_;
  std::set<std::string> dirs_;
};

// The parent of a relative path ("a/b" -> "a", "a" -> "") and its last component.
std::string ParentOf(const std::string& path);
std::string Join(const std::string& dir, const std::string& name);

}  // namespace sealfs::fsx
