// walk_tree: walks a directory tree in SealFS with the C++ face and prints each entry with its
// inode, type and permissions, link count, size and path, as `find -ls` does.
//
//   walk_tree MANAGER_ADDR [PATH] [--demo]
//
// PATH defaults to "/". With --demo it first creates a small tree under PATH (directories,
// files, a hard link and a symlink) so that there is something to walk. Errors are thrown as
// std::system_error by sealfs.hpp; the program prints them and exits 1.
#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <sealfs/sealfs.hpp>
#include <string>
#include <system_error>
#include <vector>

namespace {

struct Totals {
  long directories = 0;
  long files = 0;
  long symlinks = 0;
  long long bytes = 0;
};

// "drwxr-xr-x" for a mode.
std::string ModeString(mode_t mode) {
  std::string s = S_ISDIR(mode) ? "d" : S_ISLNK(mode) ? "l" : S_ISREG(mode) ? "-" : "?";
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s += (mode & (0400 >> i)) != 0 ? rwx[i] : '-';
  return s;
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

void Print(sealfs::Client& fs, const std::string& path, const struct stat& st, Totals* totals) {
  std::string line = std::to_string(st.st_ino);
  char fields[128];
  std::snprintf(fields, sizeof(fields), " %s %3lu %5u %5u %10lld ", ModeString(st.st_mode).c_str(),
                static_cast<unsigned long>(st.st_nlink), static_cast<unsigned>(st.st_uid),
                static_cast<unsigned>(st.st_gid), static_cast<long long>(st.st_size));
  line += fields;
  line += path;
  if (S_ISLNK(st.st_mode)) {
    line += " -> " + fs.readlink(path);
    ++totals->symlinks;
  } else if (S_ISDIR(st.st_mode)) {
    ++totals->directories;
  } else {
    ++totals->files;
    totals->bytes += st.st_size;
  }
  std::printf("%s\n", line.c_str());
}

// Prints path, then (for a directory) everything below it, depth first, without following
// symlinks.
void Walk(sealfs::Client& fs, const std::string& path, Totals* totals) {
  const struct stat st = fs.lstat(path);
  Print(fs, path, st, totals);
  if (!S_ISDIR(st.st_mode)) return;
  std::vector<std::string> children;
  for (const sealfs::DirEntry& entry : fs.list(path)) {
    if (entry.name != "." && entry.name != "..") children.push_back(entry.name);
  }
  std::sort(children.begin(), children.end());  // the servers list in no common order
  for (const auto& name : children) Walk(fs, Join(path, name), totals);
}

void WriteText(sealfs::Client& fs, const std::string& path, const std::string& text) {
  sealfs::File file = fs.open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  file.write(text);
  file.close();
}

// Creates a small tree under root; parts that exist already are kept.
void MakeDemoTree(sealfs::Client& fs, const std::string& root) {
  auto mkdir = [&](const std::string& path) {
    try {
      fs.mkdir(path, 0755);
    } catch (const std::system_error& e) {
      if (e.code().value() != EEXIST) throw;
    }
  };
  mkdir(root);
  mkdir(Join(root, "src"));
  mkdir(Join(root, "src/lib"));
  mkdir(Join(root, "empty"));
  WriteText(fs, Join(root, "README"), "A demo tree made by walk_tree --demo.\n");
  WriteText(fs, Join(root, "src/main.c"), "int main(void) { return 0; }\n");
  WriteText(fs, Join(root, "src/lib/util.c"), "int util(void) { return 42; }\n");
  WriteText(fs, Join(root, "src/lib/big.bin"), std::string(3 << 20, 'x'));  // several chunks
  for (const char* name : {"latest", "README.hard"}) {
    try {
      fs.unlink(Join(root, name));
    } catch (const std::system_error& e) {
      if (e.code().value() != ENOENT) throw;
    }
  }
  fs.symlink("src/main.c", Join(root, "latest"));
  fs.link(Join(root, "README"), Join(root, "README.hard"));
  std::printf("created a demo tree under %s\n", root.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string manager;
  std::string root = "/";
  bool demo = false;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--demo") {
      demo = true;
    } else if (positional == 0) {
      manager = arg;
      ++positional;
    } else if (positional == 1) {
      root = arg;
      ++positional;
    } else {
      positional = 99;
    }
  }
  if (positional < 1 || positional > 2) {
    std::fprintf(stderr, "usage: %s MANAGER_ADDR [PATH] [--demo]\n", argv[0]);
    return 2;
  }
  if (demo && root == "/") root = "/demo";
  try {
    sealfs::Client fs = sealfs::Client::connect(manager);
    if (demo) MakeDemoTree(fs, root);
    Totals totals;
    Walk(fs, root, &totals);
    std::printf("%ld directories, %ld files (%lld bytes), %ld symlinks\n", totals.directories,
                totals.files, totals.bytes, totals.symlinks);
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "walk_tree: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "walk_tree: %s\n", e.what());
    return 1;
  }
  return 0;
}
