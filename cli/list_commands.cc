#include "list_commands.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <utility>

#include "format.h"
#include "json.h"
#include "remote.h"

namespace sealfs::cli {
namespace {

// One name to show, with its attributes when they were asked for.
struct Entry {
  Entry(std::string name, std::string path) : name(std::move(name)), path(std::move(path)) {}
  std::string name;  // as shown: the operand, or the name within its directory
  std::string path;  // the cluster path
  struct stat st {};
  std::string target;  // of a symlink
};

bool ByName(const Entry& a, const Entry& b) { return a.name < b.name; }

void WriteEntryJson(JsonWriter& json, const Entry& entry) {
  const struct stat& st = entry.st;
  json.BeginObject();
  json.Field("name", entry.name);
  json.Field("path", entry.path);
  json.Field("type", FileTypeName(st.st_mode));
  json.Field("mode", fmt::format("{:04o}", st.st_mode & 07777U));
  json.Field("mode_string", ModeString(st.st_mode));
  json.Field("ino", st.st_ino);
  json.Field("nlink", st.st_nlink);
  json.Field("uid", st.st_uid);
  json.Field("gid", st.st_gid);
  json.Field("size", st.st_size);
  json.Field("blocks", st.st_blocks);
  json.Field("blksize", st.st_blksize);
  json.Field("atime", Rfc3339Time(st.st_atim));
  json.Field("mtime", Rfc3339Time(st.st_mtim));
  json.Field("ctime", Rfc3339Time(st.st_ctim));
  json.Field("atime_ns", Nanoseconds(st.st_atim));
  json.Field("mtime_ns", Nanoseconds(st.st_mtim));
  json.Field("ctime_ns", Nanoseconds(st.st_ctim));
  if (S_ISLNK(st.st_mode)) json.Field("target", entry.target);
  json.EndObject();
}

// Fills entry->st (and entry->target for a symlink); reports a failure as ls does.
bool Describe(Session& session, const char* failure, bool follow, Entry* entry) {
  sealfs::Client& client = session.client();
  int error =
      ErrnoOf([&] { entry->st = follow ? client.stat(entry->path) : client.lstat(entry->path); });
  if (error == 0 && S_ISLNK(entry->st.st_mode)) {
    error = ErrnoOf([&] { entry->target = client.readlink(entry->path); });
  }
  if (error != 0) session.Fail(fmt::format("{} {}", failure, Quote(entry->name)), error);
  return error == 0;
}

std::string ParentPath(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// The entries of a directory as `ls` shows them; attributes only when they are shown.
std::vector<Entry> ReadEntries(Session& session, const ListOptions& options, const Entry& dir) {
  std::vector<std::string> names;
  if (const int error = ReadDirectoryNames(session.client(), dir.path, &names); error != 0) {
    session.Fail(fmt::format("cannot open directory {}", Quote(dir.name)), error);
    return {};
  }
  std::vector<Entry> entries;
  if (options.all) {
    entries.emplace_back(".", dir.path);
    entries.emplace_back("..", ParentPath(dir.path));
  }
  for (auto& name : names) {
    if (name.front() == '.' && !options.all && !options.almost_all) continue;
    std::string path = JoinPath(dir.path, name);
    entries.emplace_back(std::move(name), std::move(path));
  }
  if (!options.long_format && !options.json) return entries;
  std::vector<Entry> described;
  for (auto& entry : entries) {
    // A name that went away since the listing is reported by its path, as ls does.
    std::string name = std::exchange(entry.name, entry.path);
    if (!Describe(session, "cannot access", false, &entry)) continue;
    entry.name = std::move(name);
    described.push_back(std::move(entry));
  }
  return described;
}

size_t Width(const std::vector<Entry>& entries, auto field) {
  size_t width = 0;
  for (const auto& entry : entries) {
    width = std::max(width, fmt::formatted_size("{}", field(entry.st)));
  }
  return width;
}

void PrintLong(const std::vector<Entry>& entries, bool with_total) {
  if (with_total) {
    uint64_t blocks = 0;  // of 512 bytes, shown in KiB as ls does
    for (const auto& entry : entries) blocks += static_cast<uint64_t>(entry.st.st_blocks);
    fmt::print("total {}\n", (blocks + 1) / 2);
  }
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const size_t nlink_width = Width(entries, [](const struct stat& st) { return st.st_nlink; });
  const size_t uid_width = Width(entries, [](const struct stat& st) { return st.st_uid; });
  const size_t gid_width = Width(entries, [](const struct stat& st) { return st.st_gid; });
  const size_t size_width = Width(entries, [](const struct stat& st) { return st.st_size; });
  for (const auto& entry : entries) {
    const struct stat& st = entry.st;
    fmt::print("{} {:>{}} {:>{}} {:>{}} {:>{}} {} {}", ModeString(st.st_mode), st.st_nlink,
               nlink_width, st.st_uid, uid_width, st.st_gid, gid_width, st.st_size, size_width,
               LsTime(st.st_mtim, now), entry.name);
    if (S_ISLNK(st.st_mode)) fmt::print(" -> {}", entry.target);
    fmt::print("\n");
  }
}

void Print(const ListOptions& options, const std::vector<Entry>& entries, bool with_total) {
  if (options.long_format) {
    PrintLong(entries, with_total);
    return;
  }
  for (const auto& entry : entries) fmt::print("{}\n", entry.name);
}

}  // namespace

int RunList(Session& session, const ListOptions& options) {
  std::vector<std::string> operands = options.paths;
  if (operands.empty()) operands.emplace_back("/");
  std::vector<Entry> files;
  std::vector<Entry> directories;
  for (const auto& operand : operands) {
    Entry entry(operand, RemotePath(operand));
    if (!Describe(session, "cannot access", false, &entry)) continue;
    bool list_content = S_ISDIR(entry.st.st_mode) && !options.directory;
    // Without -l, a symlink named on the command line is followed to its directory, as ls does.
    if (S_ISLNK(entry.st.st_mode) && !options.directory && !options.long_format) {
      struct stat target {};
      if (ErrnoOf([&] { target = session.client().stat(entry.path); }) == 0) {
        list_content = S_ISDIR(target.st_mode);
      }
    }
    (list_content ? directories : files).push_back(std::move(entry));
  }
  std::sort(files.begin(), files.end(), ByName);
  std::sort(directories.begin(), directories.end(), ByName);

  if (options.json) {
    std::string out;
    JsonWriter json(&out);
    json.BeginArray();
    for (const auto& entry : files) WriteEntryJson(json, entry);
    for (const auto& dir : directories) {
      for (const auto& entry : ReadEntries(session, options, dir)) WriteEntryJson(json, entry);
    }
    json.EndArray();
    fmt::print("{}\n", out);
    return session.status();
  }

  Print(options, files, false);
  bool first = files.empty();
  for (const auto& dir : directories) {
    const std::vector<Entry> entries = ReadEntries(session, options, dir);
    if (!first) fmt::print("\n");
    first = false;
    if (operands.size() > 1) fmt::print("{}:\n", dir.name);
    Print(options, entries, true);
  }
  return session.status();
}

int RunStat(Session& session, const StatOptions& options) {
  std::string out;
  JsonWriter json(&out);
  json.BeginArray();
  for (const auto& operand : options.paths) {
    Entry entry(operand, RemotePath(operand));
    if (!Describe(session, "cannot stat", options.dereference, &entry)) continue;
    const struct stat& st = entry.st;
    if (options.json) {
      WriteEntryJson(json, entry);
      continue;
    }
    std::string type = FileTypeWords(st.st_mode);
    if (S_ISREG(st.st_mode) && st.st_size == 0) type = "regular empty file";
    fmt::print("  File: {}{}\n", operand, S_ISLNK(st.st_mode) ? " -> " + entry.target : "");
    fmt::print("  Size: {:<15} Blocks: {:<10} IO Block: {:<6} {}\n", st.st_size, st.st_blocks,
               st.st_blksize, type);
    fmt::print(" Inode: {:<15} Links: {}\n", st.st_ino, st.st_nlink);
    fmt::print("Access: ({:04o}/{})  Uid: ({:>5})   Gid: ({:>5})\n", st.st_mode & 07777U,
               ModeString(st.st_mode), st.st_uid, st.st_gid);
    fmt::print("Access: {}\nModify: {}\nChange: {}\n", StatTime(st.st_atim), StatTime(st.st_mtim),
               StatTime(st.st_ctim));
  }
  if (options.json) {
    json.EndArray();
    fmt::print("{}\n", out);
  }
  return session.status();
}

}  // namespace sealfs::cli
