// Which paths belong to SealFS: lexical normalisation against a base directory and the prefix
// test. Pure string work, no system calls; thread-safe (immutable after construction).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sealfs::intercept {

// Joins `path` to `base` (an absolute path) unless `path` is absolute, then removes "//", "."
// and ".." lexically, as a shell's `cd` does. A trailing '/' (or "/.") of a non-root result is kept
// because it changes what a call means ("file/" is ENOTDIR, O_CREAT of "dir/" is EISDIR).
std::string NormalizePath(std::string_view base, std::string_view path);

class PathTranslator {
 public:
  // `prefix` is absolute and not "/"; it is normalised ("/sealfs/" becomes "/sealfs").
  explicit PathTranslator(std::string_view prefix);

  // The SealFS path of an absolute, normalised path: "/" for the prefix itself, "/a/b" for
  // PREFIX/a/b; nullopt when the path lies outside the prefix.
  [[nodiscard]] std::optional<std::string> ToSealfs(std::string_view normalized) const;

  // True when the lexical walk of `path` from `base` (as NormalizePath) is under the prefix at
  // some step, as "/sealfs/.." is: the system cannot walk such a path and must get the
  // normalised one.
  [[nodiscard]] bool WalksThrough(std::string_view base, std::string_view path) const;

  // The path a program sees for a SealFS path: PREFIX + path ("/" gives PREFIX).
  [[nodiscard]] std::string ToVisible(std::string_view sealfs_path) const;

  // False when no normalisation of `path` (joined to a base outside the prefix) can fall under
  // the prefix, because the prefix's last name does not occur in it: the cheap test that keeps
  // every other path away from string work.
  [[nodiscard]] bool MayName(std::string_view path) const;

  [[nodiscard]] const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
  std::string last_name_;
};

}  // namespace sealfs::intercept
