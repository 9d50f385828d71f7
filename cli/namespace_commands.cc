#include "namespace_commands.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>

#include "remote.h"

namespace sealfs::cli {
namespace {

// Removes path and, when it is a directory, everything below it first. Goes on past failures,
// which it reports; returns false after one.
bool RemoveTree(Session& session, const std::string& path, const struct stat& st) {
  sealfs::Client& client = session.client();
  if (!S_ISDIR(st.st_mode)) {
    const int error = ErrnoOf([&] { client.unlink(path); });
    if (error != 0) session.Fail(fmt::format("cannot remove {}", Quote(path)), error);
    return error == 0;
  }
  std::vector<std::string> names;
  if (const int error = ReadDirectoryNames(client, path, &names); error != 0) {
    session.Fail(fmt::format("cannot remove {}", Quote(path)), error);
    return false;
  }
  bool removed_all = true;
  for (const auto& name : names) {
    const std::string child = JoinPath(path, name);
    struct stat child_st {};
    if (const int error = ErrnoOf([&] { child_st = client.lstat(child); }); error != 0) {
      if (error == ENOENT) continue;  // removed by someone else meanwhile
      session.Fail(fmt::format("cannot remove {}", Quote(child)), error);
      removed_all = false;
      continue;
    }
    removed_all = RemoveTree(session, child, child_st) && removed_all;
  }
  if (!removed_all) return false;  // rmdir would only say "not empty"
  const int error = ErrnoOf([&] { client.rmdir(path); });
  if (error != 0) session.Fail(fmt::format("cannot remove {}", Quote(path)), error);
  return error == 0;
}

// Creates path and, with -p, its missing parents. Reports a failure.
void MakeDirectory(Session& session, const MakeDirectoryOptions& options,
                   const std::string& operand) {
  sealfs::Client& client = session.client();
  const std::string path = RemotePath(operand);
  const mode_t mode = options.mode.value_or(0777);
  std::vector<std::string> to_create;
  if (options.parents) {
    for (size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      to_create.push_back(path.substr(0, slash));
    }
  }
  to_create.push_back(path);
  for (size_t i = 0; i < to_create.size(); ++i) {
    const std::string& dir = to_create[i];
    const bool last = i + 1 == to_create.size();
    // Parents get u+wx so that the next level can be made in them, as mkdir -p does.
    int error = ErrnoOf([&] { client.mkdir(dir, last ? mode : 0777); });
    if (error == EEXIST && options.parents) {
      struct stat st {};
      error = ErrnoOf([&] { st = client.stat(dir); });
      if (error == 0 && !S_ISDIR(st.st_mode)) error = last ? EEXIST : ENOTDIR;
      if (error == 0) continue;
    } else if (error == 0 && last && options.mode) {
      // -m gives the exact bits: the umask applied by mkdir is undone, as mkdir -m does.
      error = ErrnoOf([&] { client.chmod(dir, *options.mode); });
    }
    if (error != 0) {
      session.Fail(fmt::format("cannot create directory {}", Quote(last ? operand : dir)), error);
      return;
    }
  }
}

}  // namespace

int RunRemove(Session& session, const RemoveOptions& options) {
  sealfs::Client& client = session.client();
  for (const auto& operand : options.paths) {
    const std::string path = RemotePath(operand);
    if (options.recursive && path == "/") {
      session.Fail("it is dangerous to operate recursively on '/'");
      continue;
    }
    if (BaseName(path) == "." || BaseName(path) == "..") {
      session.Fail(
          fmt::format("refusing to remove '.' or '..' directory: skipping {}", Quote(operand)));
      continue;
    }
    struct stat st {};
    if (const int error = ErrnoOf([&] { st = client.lstat(path); }); error != 0) {
      if (!(options.force && error == ENOENT)) {
        session.Fail(fmt::format("cannot remove {}", Quote(operand)), error);
      }
      continue;
    }
    if (S_ISDIR(st.st_mode) && !options.recursive) {
      const int error = options.empty_directory ? ErrnoOf([&] { client.rmdir(path); }) : EISDIR;
      if (error != 0) session.Fail(fmt::format("cannot remove {}", Quote(operand)), error);
      continue;
    }
    RemoveTree(session, path, st);
  }
  return session.status();
}

std::optional<mode_t> ParseOctalMode(const std::string& text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  mode_t mode = 0;
  for (const char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    mode = mode * 8 + static_cast<mode_t>(c - '0');
  }
  if (mode > 07777) return std::nullopt;
  return mode;
}

int RunMakeDirectory(Session& session, const MakeDirectoryOptions& options) {
  for (const auto& operand : options.paths) MakeDirectory(session, options, operand);
  return session.status();
}

int RunMove(Session& session, const MoveOptions& options) {
  RequireDestination(options.paths, "mv");
  sealfs::Client& client = session.client();
  const std::string& dest_operand = options.paths.back();
  const std::string dest = RemotePath(dest_operand);
  struct stat dest_st {};
  const bool dest_is_directory =
      ErrnoOf([&] { dest_st = client.stat(dest); }) == 0 && S_ISDIR(dest_st.st_mode);
  const size_t sources = options.paths.size() - 1;
  if (sources > 1 && !dest_is_directory) {
    throw FatalError(kExitFailure,
                     fmt::format("target {} is not a directory", Quote(dest_operand)));
  }
  for (size_t i = 0; i < sources; ++i) {
    const std::string& operand = options.paths[i];
    const std::string source = RemotePath(operand);
    const std::string target = dest_is_directory ? JoinPath(dest, BaseName(source)) : dest;
    if (source == target) {
      session.Fail(fmt::format("{} and {} are the same file", Quote(operand), Quote(target)));
      continue;
    }
    const int error = ErrnoOf([&] { client.rename(source, target); });
    if (error != 0) {
      session.Fail(fmt::format("cannot move {} to {}", Quote(operand), Quote(target)), error);
    }
  }
  return session.status();
}

}  // namespace sealfs::cli
