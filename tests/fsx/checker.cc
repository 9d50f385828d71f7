#include "checker.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iterator>
#include <map>
#include <random>
#include <stdexcept>

#include "model.h"

namespace sealfs::fsx {

namespace {

constexpr long kVerifyEvery = 250;   // operations between two checks of the whole subtree
constexpr std::size_t kMaxOpen = 4;  // descriptors a client keeps open at once
constexpr std::size_t kRecentOps =
    1000;  // calls printed before a failure (the kept logs hold them)
constexpr std::size_t kReadPiece = 1 << 20;
// Few names, shared by files and directories, so that calls collide: renames over existing
// names, files where a directory is expected, directories that are not empty.
const char* const kNames[] = {"a", "b", "c", "d"};

std::string ErrName(long rc) {
  if (rc >= 0) return std::to_string(rc);
  const char* name = strerrorname_np(static_cast<int>(-rc));
  return std::to_string(rc) + " (" + (name != nullptr ? name : "?") + ")";
}

std::string Describe(const Allowed& allowed) {
  std::string out;
  for (const int e : allowed) out += (out.empty() ? "" : " or ") + ErrName(-e);
  return out;
}

std::string FlagsName(int flags) {
  const int access = flags & O_ACCMODE;
  std::string out = access == O_RDONLY ? "O_RDONLY" : access == O_WRONLY ? "O_WRONLY" : "O_RDWR";
  if ((flags & O_CREAT) != 0) out += "|O_CREAT";
  if ((flags & O_EXCL) != 0) out += "|O_EXCL";
  if ((flags & O_TRUNC) != 0) out += "|O_TRUNC";
  return out;
}

std::string Show(const std::string& path) { return path.empty() ? "." : path; }

std::string ShowNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return "[" + out + "]";
}

// Where two byte strings first differ, with a few bytes of each from there, in hex.
std::string FirstDifference(const std::string& want, const std::string& got, std::size_t base) {
  std::size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  auto hex = [&](const std::string& s) {
    std::string out;
    for (std::size_t k = i; k < s.size() && k < i + 8; ++k) {
      char byte[4];
      std::snprintf(byte, sizeof(byte), "%02x", static_cast<unsigned char>(s[k]));
      out += byte;
    }
    return out.empty() ? "(end)" : out;
  };
  return "first difference at file offset " + std::to_string(base + i) + ": expected " + hex(want) +
         ", got " + hex(got) + " (sizes " + std::to_string(want.size()) + " and " +
         std::to_string(got.size()) + ")";
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Descriptor {
  int fd = -1;
  FilePtr file;
  int access = O_RDONLY;   // O_RDONLY, O_WRONLY or O_RDWR
  std::string path;        // the name it was opened by, for messages
  std::size_t offset = 0;  // where read and write start

  [[nodiscard]] bool readable() const { return access != O_WRONLY; }
  [[nodiscard]] bool writable() const { return access != O_RDONLY; }
  [[nodiscard]] std::string Show() const {
    return "fd " + std::to_string(fd) + " (" + path + ", " + FlagsName(access) + ")";
  }
};

class Checker {
 public:
  Checker(FileSystem& fs, const ClientSettings& settings)
      : fs_(fs),
        s_(settings),
        rng_(SplitMix64(settings.seed ^ SplitMix64(static_cast<uint64_t>(settings.client)))),
        max_op_(std::max<std::size_t>(1, settings.max_file_size / 4)) {}

  void Run(uint64_t* op_counts);
  [[nodiscard]] long op() const { return op_; }
  [[nodiscard]] const std::deque<std::string>& recent() const { return recent_; }

  // The operations of the op table. Each picks its arguments, makes the call on the file
  // system and on the model, and compares.
  void Open();
  void Close() { CloseDescriptor(Below(open_.size())); }
  void Write() { WriteAt(false); }
  void Pwrite() { WriteAt(true); }
  void Read() { ReadAt(false); }
  void Pread() { ReadAt(true); }
  void Ftruncate();
  void Truncate();
  void Fsync();
  void Stat();
  void Rename();
  void Link();
  void Unlink();
  void Mkdir();
  void Rmdir();

 private:
  void CreateRoot();
  void Verify();
  std::size_t Seek(Descriptor& d, std::size_t random_offset, std::size_t length, bool to_end);
  void WriteAt(bool positioned);
  void ReadAt(bool positioned);
  void CloseDescriptor(std::size_t index);
  void CloseDescriptorsOfLastLink(const std::string& path);
  void ExpectFileStat(const std::string& call, const struct stat& st, const File& file) const;
  void ExpectStat(const std::string& call, const struct stat& st, const std::string& path);
  std::string ReadWhole(const std::string& path);

  // Records a call and its result (printed with --verbose, and before a failure).
  void Log(const std::string& call, long got);
  [[noreturn]] void Fail(const std::string& call, const std::string& what) const {
    const std::string when =
        verifying_ ? "checking the subtree after op " + std::to_string(op_) + ": " : "";
    throw Failure(when + call + ": " + what);
  }
  // A call whose result must be one of allowed (any value >= 0 counts as success, 0).
  void Check(const std::string& call, long got, const Allowed& allowed);
  void CheckValue(const std::string& call, long got, long expected);

  uint64_t Below(uint64_t n) { return rng_() % n; }
  bool Chance(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
  template <typename Container>
  const auto& Any(const Container& c) {
    return *std::next(c.begin(), static_cast<long>(Below(c.size())));
  }
  [[nodiscard]] std::string Abs(const std::string& path) const {
    return path.empty() ? s_.root : s_.root + "/" + path;
  }
  std::string NewPath();
  std::string ExistingFile();
  std::string ExistingDir();
  std::size_t RandomLength();
  std::size_t RandomSize(const File& file);
  std::string RandomBytes(std::size_t size);
  Descriptor& PickDescriptor(bool (Descriptor::*usable)() const);

  FileSystem& fs_;
  const ClientSettings& s_;
  std::mt19937_64 rng_;
  const std::size_t max_op_;  // the longest read or write
  Model model_;
  std::vector<Descriptor> open_;
  long op_ = 0;
  bool verifying_ = false;  // calls of Verify are not logged
  std::deque<std::string> recent_;
};

// The op table: name, relative weight, whether it needs an open descriptor, and the operation.
struct OpKind {
  const char* name;
  int weight;
  bool needs_descriptor;
  void (Checker::*run)();
};
const OpKind kOps[] = {
    {"open", 8, false, &Checker::Open},          {"close", 3, true, &Checker::Close},
    {"write", 10, true, &Checker::Write},        {"pwrite", 10, true, &Checker::Pwrite},
    {"read", 7, true, &Checker::Read},           {"pread", 7, true, &Checker::Pread},
    {"ftruncate", 4, true, &Checker::Ftruncate}, {"truncate", 3, false, &Checker::Truncate},
    {"fsync", 2, true, &Checker::Fsync},         {"stat", 4, false, &Checker::Stat},
    {"rename", 7, false, &Checker::Rename},      {"link", 3, false, &Checker::Link},
    {"unlink", 2, false, &Checker::Unlink},      {"mkdir", 3, false, &Checker::Mkdir},
    {"rmdir", 3, false, &Checker::Rmdir},
};

void Checker::Run(uint64_t* op_counts) {
  CreateRoot();
  int total_weight = 0;
  for (const auto& kind : kOps) total_weight += kind.weight;
  for (op_ = 0; op_ < s_.ops; ++op_) {
    long pick = static_cast<long>(Below(static_cast<uint64_t>(total_weight)));
    const OpKind* kind = std::begin(kOps);
    while (pick >= kind->weight) pick -= (kind++)->weight;
    if (kind->needs_descriptor && open_.empty()) kind = std::begin(kOps);  // open one first
    ++op_counts[kind - std::begin(kOps)];
    (this->*kind->run)();
    if ((op_ + 1) % kVerifyEvery == 0) Verify();
  }
  while (!open_.empty()) CloseDescriptor(open_.size() - 1);
  Verify();
}

// Creates the parents of the root as needed (other clients race for them) and the root itself,
// which must be new so that the model, empty, is exact.
void Checker::CreateRoot() {
  for (std::size_t slash = s_.root.find('/', 1); slash != std::string::npos;
       slash = s_.root.find('/', slash + 1)) {
    const std::string parent = s_.root.substr(0, slash);
    Check("mkdir " + parent, fs_.Mkdir(parent, 0755), {0, EEXIST});
  }
  const int rc = fs_.Mkdir(s_.root, 0755);
  if (rc == -EEXIST) Fail("mkdir " + s_.root, "exists already: give a new --dir");
  Check("mkdir " + s_.root, rc, {0});
}

void Checker::Log(const std::string& call, long got) {
  if (verifying_) return;
  std::string line = "op " + std::to_string(op_) + ": " + call + " -> " + ErrName(got);
  if (s_.verbose) std::printf("c%d %s\n", s_.client, line.c_str());
  recent_.push_back(std::move(line));
  if (recent_.size() > kRecentOps) recent_.pop_front();
}

void Checker::Check(const std::string& call, long got, const Allowed& allowed) {
  Log(call, got);
  if (!allowed.contains(got < 0 ? static_cast<int>(-got) : 0)) {
    Fail(call, "expected " + Describe(allowed) + ", got " + ErrName(got));
  }
}

void Checker::CheckValue(const std::string& call, long got, long expected) {
  Log(call, got);
  if (got != expected) Fail(call, "expected " + ErrName(expected) + ", got " + ErrName(got));
}

// ---------------------------------------------------------------------------------------------
// Arguments

// A path to create: mostly a name in an existing directory; else any path of depth 1 to 3,
// whose parents may be missing or be files.
std::string Checker::NewPath() {
  if (Chance(75)) return Join(Any(model_.dirs()), kNames[Below(std::size(kNames))]);
  std::string path = kNames[Below(std::size(kNames))];
  for (auto depth = Below(3); depth > 0; --depth) path += "/" + std::string(kNames[Below(4)]);
  return path;
}

std::string Checker::ExistingFile() {
  if (model_.files().empty() || Chance(15)) return NewPath();
  return Any(model_.files()).first;
}

std::string Checker::ExistingDir() {
  if (model_.dirs().size() < 2 || Chance(15)) return NewPath();
  return *std::next(model_.dirs().begin(), 1 + static_cast<long>(Below(model_.dirs().size() - 1)));
}

// Lengths spread evenly over the powers of two up to max_op_: many small calls, some that span
// several chunks.
std::size_t Checker::RandomLength() {
  const auto bits = static_cast<uint64_t>(std::bit_width(max_op_));
  return 1 + Below(std::min<std::size_t>(max_op_, std::size_t{1} << Below(bits)));
}

// A new size for a file: half of the time shorter than now, else anything up to the maximum.
std::size_t Checker::RandomSize(const File& file) {
  return Chance(50) ? Below(file.data.size() + 1) : Below(s_.max_file_size + 1);
}

std::string Checker::RandomBytes(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; i += 8) {
    const uint64_t v = rng_();
    std::memcpy(out.data() + i, &v, std::min<std::size_t>(8, size - i));
  }
  return out;
}

// Mostly a descriptor that allows the call; now and then any, whose call must then fail.
Descriptor& Checker::PickDescriptor(bool (Descriptor::*usable)() const) {
  std::vector<std::size_t> fitting;
  for (std::size_t i = 0; i < open_.size(); ++i) {
    if ((open_[i].*usable)()) fitting.push_back(i);
  }
  if (!fitting.empty() && Chance(95)) return open_[Any(fitting)];
  return open_[Below(open_.size())];
}

// ---------------------------------------------------------------------------------------------
// Descriptors and data

void Checker::Open() {
  if (open_.size() >= kMaxOpen) CloseDescriptor(Below(open_.size()));
  const auto path_roll = Below(10);
  const std::string path = path_roll < 5   ? ExistingFile()
                           : path_roll < 9 ? NewPath()
                                           : ExistingDir();
  const int access_roll = static_cast<int>(Below(10));
  int flags = access_roll < 6 ? O_RDWR : access_roll < 8 ? O_RDONLY : O_WRONLY;
  if (Chance(60)) flags |= Chance(30) ? O_CREAT | O_EXCL : O_CREAT;
  if ((flags & O_ACCMODE) != O_RDONLY && Chance(15)) flags |= O_TRUNC;
  // A directory opened read-only would succeed: keep descriptors to regular files.
  if (model_.IsDir(path) && flags == O_RDONLY) flags = O_RDWR;
  FilePtr file;
  const Allowed allowed = model_.Open(path, flags, &file);
  const std::string call = "open " + path + " " + FlagsName(flags);
  const int fd = fs_.Open(Abs(path), flags, 0644);
  Check(call, fd, allowed);
  if (fd >= 0) open_.push_back({fd, file, flags & O_ACCMODE, path, 0});
}

void Checker::CloseDescriptor(std::size_t index) {
  Check("close " + open_[index].Show(), fs_.Close(open_[index].fd), {0});
  open_.erase(open_.begin() + static_cast<long>(index));
}

// SealFS deletes a file's data with its last name even while it is open (docs/design.md, "Not
// done yet"), so descriptors of a file are closed before its last name goes.
void Checker::CloseDescriptorsOfLastLink(const std::string& path) {
  const FilePtr file = model_.FileAt(path);
  if (!file || file->nlink > 1) return;
  for (std::size_t i = open_.size(); i-- > 0;) {
    if (open_[i].file == file) CloseDescriptor(i);
  }
}

// Where a read or write at the descriptor's offset starts: half of the time where the last call
// left it (when the call ends below the maximum size), else after an lseek to the end (writes)
// or to random_offset.
std::size_t Checker::Seek(Descriptor& d, std::size_t random_offset, std::size_t length,
                          bool to_end) {
  const auto roll = Below(10);
  if (roll < 5 && d.offset + length <= s_.max_file_size) return d.offset;
  const std::size_t size = d.file->data.size();
  if (to_end && roll < 7 && size + length <= s_.max_file_size) {
    CheckValue("lseek " + d.Show() + " 0 SEEK_END", fs_.Lseek(d.fd, 0, SEEK_END),
               static_cast<long>(size));
    return d.offset = size;
  }
  CheckValue("lseek " + d.Show() + " " + std::to_string(random_offset) + " SEEK_SET",
             fs_.Lseek(d.fd, static_cast<off_t>(random_offset), SEEK_SET),
             static_cast<long>(random_offset));
  return d.offset = random_offset;
}

// write at the descriptor's offset, or pwrite; beyond the end makes a hole.
void Checker::WriteAt(bool positioned) {
  Descriptor& d = PickDescriptor(&Descriptor::writable);
  const std::size_t length = RandomLength();
  const std::size_t last = s_.max_file_size - std::min(length, s_.max_file_size);
  std::size_t offset = Chance(25) ? std::min(d.file->data.size(), last) : Below(last + 1);
  const std::string bytes = RandomBytes(length);
  if (!positioned) offset = Seek(d, offset, length, true);
  const std::string call = (positioned ? "pwrite " : "write ") + d.Show() + " offset " +
                           std::to_string(offset) + " length " + std::to_string(length);
  const ssize_t got = positioned
                          ? fs_.Pwrite(d.fd, bytes.data(), length, static_cast<off_t>(offset))
                          : fs_.Write(d.fd, bytes.data(), length);
  CheckValue(call, got, d.writable() ? static_cast<long>(length) : -EBADF);
  if (got <= 0) return;
  d.file->Write(offset, bytes);
  if (!positioned) d.offset += length;
}

// read at the descriptor's offset, or pread; sometimes past the end.
void Checker::ReadAt(bool positioned) {
  Descriptor& d = PickDescriptor(&Descriptor::readable);
  const std::string& data = d.file->data;
  const std::size_t length = RandomLength();
  std::size_t offset = Chance(80) ? Below(data.size() + 1) : Below(s_.max_file_size + 1);
  if (!positioned) offset = Seek(d, offset, length, false);
  const std::string want = d.readable() && offset < data.size() ? data.substr(offset, length) : "";
  const std::string call = (positioned ? "pread " : "read ") + d.Show() + " offset " +
                           std::to_string(offset) + " length " + std::to_string(length);
  std::string got(length, '\0');
  const ssize_t n = positioned ? fs_.Pread(d.fd, got.data(), length, static_cast<off_t>(offset))
                               : fs_.Read(d.fd, got.data(), length);
  CheckValue(call, n, d.readable() ? static_cast<long>(want.size()) : -EBADF);
  got.resize(std::max<ssize_t>(n, 0));
  if (got != want) Fail(call, FirstDifference(want, got, offset));
  if (!positioned) d.offset += got.size();
}

void Checker::Ftruncate() {
  Descriptor& d = PickDescriptor(&Descriptor::writable);
  const std::size_t size = RandomSize(*d.file);
  const std::string call = "ftruncate " + d.Show() + " " + std::to_string(size);
  // Linux: EINVAL, not EBADF, for a descriptor not open for writing.
  Check(call, fs_.Ftruncate(d.fd, static_cast<off_t>(size)), {d.writable() ? 0 : EINVAL});
  if (d.writable()) d.file->Resize(size);
}

void Checker::Truncate() {
  const std::string path = Chance(90) ? ExistingFile() : ExistingDir();
  const FilePtr file = model_.FileAt(path);
  const std::size_t size = file ? RandomSize(*file) : Below(s_.max_file_size + 1);
  const Allowed allowed = model_.Truncate(path, size);
  Check("truncate " + path + " " + std::to_string(size),
        fs_.Truncate(Abs(path), static_cast<off_t>(size)), allowed);
}

void Checker::Fsync() {
  const Descriptor& d = open_[Below(open_.size())];
  Check("fsync " + d.Show(), fs_.Fsync(d.fd), {0});
}

// ---------------------------------------------------------------------------------------------
// Attributes and names

void Checker::ExpectFileStat(const std::string& call, const struct stat& st,
                             const File& file) const {
  if (!S_ISREG(st.st_mode)) Fail(call, "not a regular file");
  if (static_cast<std::size_t>(st.st_size) != file.data.size()) {
    Fail(call, "size " + std::to_string(st.st_size) + ", the model's " +
                   std::to_string(file.data.size()));
  }
  if (static_cast<int>(st.st_nlink) != file.nlink) {
    Fail(call,
         "st_nlink " + std::to_string(st.st_nlink) + ", the model's " + std::to_string(file.nlink));
  }
}

void Checker::ExpectStat(const std::string& call, const struct stat& st, const std::string& path) {
  if (const FilePtr file = model_.FileAt(path)) return ExpectFileStat(call, st, *file);
  if (!S_ISDIR(st.st_mode)) Fail(call, "not a directory");
  if (static_cast<int>(st.st_nlink) != model_.DirLinks(path)) {
    Fail(call, "st_nlink " + std::to_string(st.st_nlink) + ", the model's " +
                   std::to_string(model_.DirLinks(path)) + " (2 + subdirectories)");
  }
}

void Checker::Stat() {
  struct stat st {};
  if (!open_.empty() && Chance(30)) {
    const Descriptor& d = open_[Below(open_.size())];
    const std::string call = "fstat " + d.Show();
    Check(call, fs_.Fstat(d.fd, &st), {0});
    return ExpectFileStat(call, st, *d.file);
  }
  const std::string path = Chance(60) ? ExistingFile() : ExistingDir();
  const std::string call = "lstat " + path;
  const int rc = fs_.Lstat(Abs(path), &st);
  Check(call, rc, model_.Lookup(path));
  if (rc == 0) ExpectStat(call, st, path);
}

void Checker::Rename() {
  const std::string from = Chance(60) ? ExistingFile() : ExistingDir();
  const std::string to = Chance(40) ? NewPath() : Chance(50) ? ExistingFile() : ExistingDir();
  CloseDescriptorsOfLastLink(to);
  const Allowed allowed = model_.Rename(from, to);
  Check("rename " + from + " " + to, fs_.Rename(Abs(from), Abs(to)), allowed);
}

void Checker::Link() {
  const std::string from = Chance(90) ? ExistingFile() : ExistingDir();
  const std::string to = Chance(80) ? NewPath() : ExistingFile();
  const Allowed allowed = model_.Link(from, to);
  Check("link " + from + " " + to, fs_.Link(Abs(from), Abs(to)), allowed);
}

void Checker::Unlink() {
  const std::string path = Chance(85) ? ExistingFile() : ExistingDir();
  CloseDescriptorsOfLastLink(path);
  const Allowed allowed = model_.Unlink(path);
  Check("unlink " + path, fs_.Unlink(Abs(path)), allowed);
}

void Checker::Mkdir() {
  const std::string path = Chance(85) ? NewPath() : ExistingFile();
  const Allowed allowed = model_.Mkdir(path);
  Check("mkdir " + path, fs_.Mkdir(Abs(path), 0755), allowed);
}

void Checker::Rmdir() {
  std::vector<std::string> empty;
  for (const auto& dir : model_.dirs()) {
    if (!dir.empty() && model_.Children(dir).empty()) empty.push_back(dir);
  }
  // Half of the time an empty directory, so that directories do not pile up.
  const std::string path = !empty.empty() && Chance(50) ? Any(empty)
                           : Chance(85)                 ? ExistingDir()
                                                        : ExistingFile();
  const Allowed allowed = model_.Rmdir(path);
  Check("rmdir " + path, fs_.Rmdir(Abs(path)), allowed);
}

// ---------------------------------------------------------------------------------------------
// The whole subtree

std::string Checker::ReadWhole(const std::string& path) {
  const int fd = fs_.Open(Abs(path), O_RDONLY, 0);
  Check("open " + path + " O_RDONLY", fd, {0});
  std::string data;
  std::string piece(kReadPiece, '\0');
  for (;;) {
    const ssize_t n = fs_.Pread(fd, piece.data(), piece.size(), static_cast<off_t>(data.size()));
    if (n < 0) Check("pread " + path + " offset " + std::to_string(data.size()), n, {0});
    if (n <= 0) break;
    data.append(piece, 0, static_cast<std::size_t>(n));
  }
  Check("close " + path, fs_.Close(fd), {0});
  return data;
}

// Every directory lists what the model holds; every name has the model's type, size and link
// count; hard links share an inode and no other name does; every file reads back as the model.
void Checker::Verify() {
  verifying_ = true;
  for (const auto& dir : model_.dirs()) {
    std::vector<std::string> names;
    const std::string list = "list " + Show(dir);
    Check(list, fs_.List(Abs(dir), &names), {0});
    std::sort(names.begin(), names.end());
    const std::vector<std::string> want = model_.Children(dir);
    if (names != want) Fail(list, "lists " + ShowNames(names) + ", the model " + ShowNames(want));
    struct stat st {};
    const std::string stat = "lstat " + Show(dir);
    Check(stat, fs_.Lstat(Abs(dir), &st), {0});
    ExpectStat(stat, st, dir);
  }
  std::map<const File*, ino_t> ino_of;
  std::map<ino_t, const File*> file_of;
  for (const auto& [path, file] : model_.files()) {
    struct stat st {};
    const std::string stat = "lstat " + path;
    Check(stat, fs_.Lstat(Abs(path), &st), {0});
    ExpectFileStat(stat, st, *file);
    if (ino_of.emplace(file.get(), st.st_ino).first->second != st.st_ino) {
      Fail(stat, "a hard link with another inode than its other names");
    }
    if (file_of.emplace(st.st_ino, file.get()).first->second != file.get()) {
      Fail(stat, "shares inode " + std::to_string(st.st_ino) + " with another file");
    }
    const std::string data = ReadWhole(path);
    if (data != file->data) Fail("read " + path, FirstDifference(file->data, data, 0));
  }
  verifying_ = false;
  if (s_.verbose) {
    std::printf("c%d checked after op %ld: %zu directories, %zu names of files, %zu inodes\n",
                s_.client, op_, model_.dirs().size(), model_.files().size(), file_of.size());
  }
}

}  // namespace

const std::vector<std::string>& OpNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& kind : kOps) out.emplace_back(kind.name);
    return out;
  }();
  return names;
}

bool RunClient(FileSystem& fs, const ClientSettings& settings, uint64_t* op_counts) {
  Checker checker(fs, settings);
  try {
    checker.Run(op_counts);
    return true;
  } catch (const Failure& failure) {
    // One write, so that the reports of clients failing at once do not interleave.
    // The failure comes last too, so that a log's tail shows it below the calls before it.
    const std::string failed = "fsx: FAILED seed " + std::to_string(settings.seed) + " client " +
                               std::to_string(settings.client) + " op " +
                               std::to_string(checker.op()) + ": " + failure.what() + "\n";
    std::string report = failed;
    if (!checker.recent().empty()) {
      report += "fsx: client " + std::to_string(settings.client) + "'s last calls:\n";
      for (const auto& line : checker.recent()) report += "  " + line + "\n";
      report += failed;
    }
    std::fputs(report.c_str(), stderr);
    return false;
  }
}

}  // namespace sealfs::fsx
