#include "copy_commands.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "endpoint.h"
#include "progress.h"
#include "remote.h"

namespace sealfs::cli {
namespace {

// Copies files and trees from one end to the other, reporting each failure to the session and
// going on with the rest, as cp does.
class Copier {
 public:
  Copier(Session& session, const CopyOptions& options, Endpoint& from, Endpoint& to)
      : session_(session), options_(options), from_(from), to_(to), buffer_(kCopyBufferSize) {}

  // Copies the operand source to destination (already resolved into a directory if need be).
  void CopyOperand(const std::string& source, const std::string& destination);

  // Copies a file's bytes; st describes source (nullptr for standard input).
  void CopyFile(const std::string& source, const std::string& destination, const struct stat* st);

  // Opens path of from_ for reading; reports a failure as cat does when as_cat.
  std::unique_ptr<Stream> OpenSource(const std::string& path, bool as_cat);

  // Moves everything source gives to destination, a buffer at a time. @returns 0 or an errno
  // and whether reading (else writing) failed.
  std::pair<int, bool> Pump(Stream& source, Stream& destination, Progress* progress);

 private:
  void CopyTree(const std::string& source, const std::string& destination, const struct stat& st);
  void CopySymlink(const std::string& source, const std::string& destination);
  void CopyDirectory(const std::string& source, const std::string& destination, mode_t mode);

  Session& session_;
  const CopyOptions& options_;
  Endpoint& from_;
  Endpoint& to_;
  std::vector<char> buffer_;
};

void Copier::CopyOperand(const std::string& source, const std::string& destination) {
  if (source == "-") {
    CopyFile(source, destination, nullptr);
    return;
  }
  // Without -r a symlink is copied as the file it points at, as cp does; with -r as a link.
  struct stat st {};
  if (const int error = from_.Stat(source, !options_.recursive, &st); error != 0) {
    session_.Fail(fmt::format("cannot stat {}", Quote(source)), error);
  } else if (S_ISDIR(st.st_mode) && !options_.recursive) {
    session_.Fail(fmt::format("-r not specified; omitting directory {}", Quote(source)));
  } else if (destination == "-" && !S_ISREG(st.st_mode)) {
    session_.Fail(
        fmt::format("cannot write {} to standard output: not a regular file", Quote(source)));
  } else {
    CopyTree(source, destination, st);
  }
}

void Copier::CopyTree(const std::string& source, const std::string& destination,
                      const struct stat& st) {
  if (S_ISREG(st.st_mode)) {
    CopyFile(source, destination, &st);
  } else if (S_ISLNK(st.st_mode)) {
    CopySymlink(source, destination);
  } else if (S_ISDIR(st.st_mode)) {
    CopyDirectory(source, destination, st.st_mode & 07777U);
  } else {
    session_.Fail(
        fmt::format("skipping {}: not a regular file, directory or symbolic link", Quote(source)));
  }
}

void Copier::CopySymlink(const std::string& source, const std::string& destination) {
  std::string target;
  if (const int error = from_.ReadLink(source, &target); error != 0) {
    session_.Fail(fmt::format("cannot read symbolic link {}", Quote(source)), error);
    return;
  }
  struct stat existing {};
  if (to_.Stat(destination, false, &existing) == 0 && !S_ISDIR(existing.st_mode)) {
    to_.Unlink(destination);  // replaced, as a file would be
  }
  if (const int error = to_.Symlink(target, destination); error != 0) {
    session_.Fail(fmt::format("cannot create symbolic link {}", Quote(destination)), error);
  }
}

void Copier::CopyDirectory(const std::string& source, const std::string& destination, mode_t mode) {
  int error = to_.MakeDirectory(destination, mode);
  if (error == EEXIST) {
    struct stat existing {};
    error = to_.Stat(destination, true, &existing);
    if (error == 0 && !S_ISDIR(existing.st_mode)) error = ENOTDIR;
  }
  if (error != 0) {
    session_.Fail(fmt::format("cannot create directory {}", Quote(destination)), error);
    return;
  }
  std::vector<std::string> names;
  if (error = from_.List(source, &names); error != 0) {
    session_.Fail(fmt::format("cannot read directory {}", Quote(source)), error);
    return;
  }
  for (const auto& name : names) {
    const std::string child = JoinPath(source, name);
    struct stat child_st {};
    if (error = from_.Stat(child, false, &child_st); error != 0) {
      session_.Fail(fmt::format("cannot stat {}", Quote(child)), error);
      continue;
    }
    CopyTree(child, JoinPath(destination, name), child_st);
  }
}

std::unique_ptr<Stream> Copier::OpenSource(const std::string& path, bool as_cat) {
  std::unique_ptr<Stream> stream;
  if (const int error = from_.Open(path, false, 0, &stream); error != 0) {
    session_.Fail(as_cat ? path : fmt::format("cannot open {} for reading", Quote(path)), error);
  }
  return stream;
}

void Copier::CopyFile(const std::string& source, const std::string& destination,
                      const struct stat* st) {
  const std::unique_ptr<Stream> in = OpenSource(source, false);
  if (!in) return;
  std::unique_ptr<Stream> out;
  const mode_t mode = st != nullptr ? st->st_mode & 0777U : 0666;
  if (const int error = to_.Open(destination, true, mode, &out); error != 0) {
    session_.Fail(fmt::format("cannot create regular file {}", Quote(destination)), error);
    return;
  }
  const bool show = options_.progress && destination != "-" && ProgressWanted();
  Progress progress(show, destination, st != nullptr ? st->st_size : -1);
  auto [error, reading] = Pump(*in, *out, &progress);
  if (error == 0) error = out->Close();
  progress.Finish();
  if (error != 0) {
    session_.Fail(fmt::format("error {} {}", reading ? "reading" : "writing",
                              Quote(reading ? source : destination)),
                  error);
  }
}

std::pair<int, bool> Copier::Pump(Stream& source, Stream& destination, Progress* progress) {
  int64_t done = 0;
  for (;;) {
    size_t got = 0;
    if (const int error = source.Read(buffer_.data(), buffer_.size(), &got); error != 0) {
      return {error, true};
    }
    if (got == 0) return {0, false};
    if (const int error = destination.Write(buffer_.data(), got); error != 0) return {error, false};
    done += static_cast<int64_t>(got);
    if (progress != nullptr) progress->Update(done);
  }
}

// Where each source goes: into the destination when it is a directory (it must be with several
// sources), else to the destination itself.
std::vector<std::pair<std::string, std::string>> Destinations(const std::vector<std::string>& paths,
                                                              Endpoint& to) {
  const std::string& dest = paths.back();
  struct stat st {};
  const bool into_directory = dest != "-" && to.Stat(dest, true, &st) == 0 && S_ISDIR(st.st_mode);
  if (paths.size() > 2 && !into_directory) {
    throw FatalError(kExitFailure, fmt::format("target {} is not a directory", Quote(dest)));
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 0; i + 1 < paths.size(); ++i) {
    if (paths[i] == "-" && into_directory) {
      throw FatalError(kExitFailure,
                       fmt::format("cannot write standard input into directory {}", Quote(dest)));
    }
    pairs.emplace_back(paths[i], into_directory ? JoinPath(dest, BaseName(paths[i])) : dest);
  }
  return pairs;
}

int Copy(Session& session, const CopyOptions& options, const std::vector<std::string>& paths,
         Endpoint& from, Endpoint& to) {
  Copier copier(session, options, from, to);
  for (const auto& [source, destination] : Destinations(paths, to)) {
    copier.CopyOperand(source, destination);
  }
  return session.status();
}

}  // namespace

int RunCat(Session& session, const CatOptions& options) {
  const auto cluster = ClusterEndpoint(session.client());
  const auto local = LocalEndpoint();
  const CopyOptions copy_options;
  Copier copier(session, copy_options, *cluster, *local);
  std::unique_ptr<Stream> out;
  local->Open("-", true, 0, &out);
  for (const auto& operand : options.paths) {
    const std::unique_ptr<Stream> in = copier.OpenSource(RemotePath(operand), true);
    if (!in) continue;
    const auto [error, reading] = copier.Pump(*in, *out, nullptr);
    if (reading) {
      session.Fail(operand, error);
    } else if (error != 0) {
      throw FatalError(kExitFailure, fmt::format("write error: {}", std::strerror(error)));
    }
  }
  return session.status();
}

int RunPut(Session& session, const CopyOptions& options) {
  RequireDestination(options.paths, "put");
  std::vector<std::string> paths = options.paths;
  paths.back() = RemotePath(paths.back());
  const auto local = LocalEndpoint();
  const auto cluster = ClusterEndpoint(session.client());
  return Copy(session, options, paths, *local, *cluster);
}

int RunGet(Session& session, const CopyOptions& options) {
  RequireDestination(options.paths, "get");
  std::vector<std::string> paths = options.paths;
  for (size_t i = 0; i + 1 < paths.size(); ++i) paths[i] = RemotePath(paths[i]);
  const auto cluster = ClusterEndpoint(session.client());
  const auto local = LocalEndpoint();
  return Copy(session, options, paths, *cluster, *local);
}

}  // namespace sealfs::cli
