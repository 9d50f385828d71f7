// Random name-space operations (mkdir, create, write, unlink, rmdir, rename, link) on a small
// set of names, applied to SealFS and to an in-memory model with POSIX semantics; each result
// is compared, and the whole tree (types, contents, shared inodes) every few steps. The names
// are few so that operations collide: renames over existing entries, into subdirectories,
// across servers. The seed is printed; SEALFS_TEST_SEED reruns one.
#include <fcntl.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cluster.h"

namespace sealfs::test {
namespace {

// The file system as POSIX says it should be.
class Model {
 public:
  struct Node {
    bool dir = false;
    int ino = 0;  // files: identity shared by hard links
  };

  Model() { nodes_["/"] = Node{true, 0}; }

  // The errno of resolving the parent of path: 0, ENOENT or ENOTDIR.
  [[nodiscard]] int ParentError(const std::string& path) const {
    std::size_t pos = 0;
    while ((pos = path.find('/', pos + 1)) != std::string::npos) {
      const auto it = nodes_.find(path.substr(0, pos));
      if (it == nodes_.end()) return ENOENT;
      if (!it->second.dir) return ENOTDIR;
    }
    return 0;
  }
  // For calls of two paths: the errors of reaching the existing source and the target's
  // parent. Either may be reported first, so both are acceptable.
  [[nodiscard]] std::set<int> PathErrors(const std::string& from, const std::string& to) const {
    std::set<int> errors;
    int e = ParentError(from);
    if (e == 0 && Find(from) == nullptr) e = ENOENT;
    if (e != 0) errors.insert(e);
    if (int t = ParentError(to)) errors.insert(t);
    return errors;
  }
  [[nodiscard]] const Node* Find(const std::string& path) const {
    const auto it = nodes_.find(path);
    return it == nodes_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] bool Empty(const std::string& dir) const {
    const std::string prefix = dir + "/";
    const auto it = nodes_.lower_bound(prefix);
    return it == nodes_.end() || it->first.compare(0, prefix.size(), prefix) != 0;
  }

  // Each returns the set of acceptable errnos ({0} on success, applied to the model).
  std::set<int> Mkdir(const std::string& p) {
    if (int e = ParentError(p)) return {e};
    if (Find(p) != nullptr) return {EEXIST};
    nodes_[p] = Node{true, 0};
    return {0};
  }
  std::set<int> Create(const std::string& p, const std::string& content) {
    if (int e = ParentError(p)) return {e};
    if (Find(p) != nullptr) return {EEXIST};
    nodes_[p] = Node{false, next_ino_};
    contents_[next_ino_++] = content;
    return {0};
  }
  std::set<int> Overwrite(const std::string& p, const std::string& content) {
    if (int e = ParentError(p)) return {e};
    const Node* n = Find(p);
    if (n == nullptr) return {ENOENT};
    if (n->dir) return {EISDIR};
    contents_[n->ino] = content;
    return {0};
  }
  std::set<int> Unlink(const std::string& p) {
    if (int e = ParentError(p)) return {e};
    const Node* n = Find(p);
    if (n == nullptr) return {ENOENT};
    if (n->dir) return {EISDIR};
    nodes_.erase(p);
    return {0};
  }
  std::set<int> Rmdir(const std::string& p) {
    if (int e = ParentError(p)) return {e};
    const Node* n = Find(p);
    if (n == nullptr) return {ENOENT};
    if (!n->dir) return {ENOTDIR};
    if (!Empty(p)) return {ENOTEMPTY};
    nodes_.erase(p);
    return {0};
  }
  std::set<int> Link(const std::string& from, const std::string& to) {
    if (auto errors = PathErrors(from, to); !errors.empty()) return errors;
    const Node* n = Find(from);
    // POSIX does not order errors; Linux reports EEXIST before EPERM.
    std::set<int> errors;
    if (Find(to) != nullptr) errors.insert(EEXIST);
    if (n->dir) errors.insert(EPERM);
    if (!errors.empty()) return errors;
    nodes_[to] = *n;
    return {0};
  }
  std::set<int> Rename(const std::string& from, const std::string& to) {
    std::set<int> errors = PathErrors(from, to);
    if (!errors.empty()) return errors;
    const Node* src = Find(from);
    const Node* dst = Find(to);
    if (from == to) return {0};
    const bool into_itself = to.compare(0, from.size() + 1, from + "/") == 0;
    const bool onto_ancestor = from.compare(0, to.size() + 1, to + "/") == 0;
    if (src->dir && into_itself) errors.insert(EINVAL);
    if (onto_ancestor) errors.insert(ENOTEMPTY);  // the target holds the source
    if (dst != nullptr) {
      if (!src->dir && dst->dir) errors.insert(EISDIR);
      if (src->dir && !dst->dir) errors.insert(ENOTDIR);
      if (src->dir && dst->dir && !Empty(to)) errors.insert(ENOTEMPTY);
      if (onto_ancestor && !src->dir) errors.insert(EISDIR);
    }
    if (!errors.empty()) return errors;
    if (dst != nullptr && !src->dir && !dst->dir && src->ino == dst->ino) {
      return {0};  // two names of one file: POSIX does nothing
    }
    // Move the node and, for a directory, everything under it.
    std::map<std::string, Node> moved;
    const std::string prefix = from + "/";
    for (auto it = nodes_.begin(); it != nodes_.end();) {
      if (it->first == from || it->first.compare(0, prefix.size(), prefix) == 0) {
        moved[to + it->first.substr(from.size())] = it->second;
        it = nodes_.erase(it);
      } else {
        ++it;
      }
    }
    nodes_.erase(to);
    for (auto& [path, node] : moved) nodes_[path] = node;
    return {0};
  }

  [[nodiscard]] const std::map<std::string, Node>& nodes() const { return nodes_; }
  [[nodiscard]] const std::string& content(int ino) const { return contents_.at(ino); }

 private:
  std::map<std::string, Node> nodes_;
  std::map<int, std::string> contents_;
  int next_ino_ = 1;
};

class ModelTest : public ClusterTest {
 protected:
  // Walks SealFS from "/" into path -> (is dir, st_ino), checking each directory's listing.
  void Walk(const std::string& dir, std::map<std::string, std::pair<bool, ino_t>>* out) {
    for (const auto& name : ListDir(client_, dir)) {
      if (name == "." || name == "..") continue;
      const std::string path = (dir == "/" ? "" : dir) + "/" + name;
      struct stat st {};
      ASSERT_OK(sealfs_lstat(client_, path.c_str(), &st)) << path << " is listed";
      ASSERT_EQ(out->count(path), 0U) << path << " listed twice";
      (*out)[path] = {S_ISDIR(st.st_mode), st.st_ino};
      if (S_ISDIR(st.st_mode)) Walk(path, out);
    }
  }

  void CompareTree(const Model& model, const std::string& where) {
    std::map<std::string, std::pair<bool, ino_t>> tree;
    Walk("/", &tree);
    std::map<int, ino_t> inos;  // model ino -> st_ino, to check hard links share one
    std::set<std::string> expected;
    for (const auto& [path, node] : model.nodes()) {
      if (path == "/") continue;
      expected.insert(path);
      const auto it = tree.find(path);
      if (it == tree.end()) {
        ADD_FAILURE() << where << ": " << path << " missing";
        continue;
      }
      EXPECT_EQ(it->second.first, node.dir) << where << ": type of " << path;
      if (!node.dir) {
        EXPECT_EQ(ReadFile(client_, path), model.content(node.ino)) << where << ": " << path;
        auto [ino, inserted] = inos.try_emplace(node.ino, it->second.second);
        EXPECT_EQ(ino->second, it->second.second) << where << ": " << path << " is a hard link";
      }
    }
    for (const auto& [path, value] : tree) {
      EXPECT_TRUE(expected.count(path)) << where << ": " << path << " should not exist";
    }
  }
};

TEST_F(ModelTest, RandomNamespaceOperationsMatchPosix) {
  const uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed);
  Model model;
  const std::vector<std::string> names = {"a", "b", "c"};
  auto random_path = [&] {
    std::string path;
    const int depth = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < depth; ++i) path += "/" + names[rng() % names.size()];
    return path;
  };
  constexpr int kSteps = 1500;
  for (int step = 0; step < kSteps; ++step) {
    const std::string p = random_path();
    const std::string q = random_path();
    const std::string content = "step " + std::to_string(step) + " " + p;
    // Opens p with flags, writes content and closes; returns what the open returned (0 on
    // success).
    auto write_through = [&](int flags, mode_t mode) -> long {
      const int fd = sealfs_open(client_, p.c_str(), flags, mode);
      if (fd < 0) return fd;
      EXPECT_EQ(sealfs_write(client_, fd, content.data(), content.size()),
                static_cast<ssize_t>(content.size()));
      EXPECT_OK(sealfs_close(client_, fd));
      return 0;
    };
    std::set<int> want;
    long got = 0;
    std::string what;
    switch (rng() % 8) {
      case 0:
      case 1:
        what = "mkdir " + p;
        want = model.Mkdir(p);
        got = sealfs_mkdir(client_, p.c_str(), 0755);
        break;
      case 2:
        what = "create " + p;
        want = model.Create(p, content);
        got = write_through(O_CREAT | O_EXCL | O_WRONLY, 0644);
        break;
      case 3:
        what = "overwrite " + p;
        want = model.Overwrite(p, content);
        got = write_through(O_WRONLY | O_TRUNC, 0);
        break;
      case 4:
        what = "unlink " + p;
        want = model.Unlink(p);
        got = sealfs_unlink(client_, p.c_str());
        break;
      case 5:
        what = "rmdir " + p;
        want = model.Rmdir(p);
        got = sealfs_rmdir(client_, p.c_str());
        break;
      case 6:
        what = "rename " + p + " " + q;
        want = model.Rename(p, q);
        got = sealfs_rename(client_, p.c_str(), q.c_str());
        break;
      default:
        what = "link " + p + " " + q;
        want = model.Link(p, q);
        got = sealfs_link(client_, p.c_str(), q.c_str());
        break;
    }
    const std::string where =
        "seed " + std::to_string(seed) + " step " + std::to_string(step) + " (" + what + ")";
    std::string acceptable;
    for (const int e : want) acceptable += " " + ErrName(-e);
    ASSERT_EQ(want.count(static_cast<int>(-got)), 1U)
        << where << " returned " << ErrName(got) << ", POSIX says one of" << acceptable;
    if (step % 50 == 49) {
      CompareTree(model, where);
      ASSERT_FALSE(HasFailure()) << where;
    }
  }
  CompareTree(model, "seed " + std::to_string(seed) + " at the end");
  // What was written is what a new client sees.
  Reconnect();
  CompareTree(model, "seed " + std::to_string(seed) + " through a new client");
}

}  // namespace
}  // namespace sealfs::test
