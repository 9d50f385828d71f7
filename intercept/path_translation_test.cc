#include "path_translation.h"

#include <gtest/gtest.h>

namespace sealfs::intercept {
namespace {

TEST(NormalizePath, JoinsRelativePathsToTheBase) {
  EXPECT_EQ(NormalizePath("/sealfs/a", "b/c"), "/sealfs/a/b/c");
  EXPECT_EQ(NormalizePath("/sealfs/a", "/etc/passwd"), "/etc/passwd");
}

TEST(NormalizePath, RemovesDotsAndDoubleSlashesLexically) {
  EXPECT_EQ(NormalizePath("/", "//sealfs/./a//b/../c"), "/sealfs/a/c");
  EXPECT_EQ(NormalizePath("/sealfs/a", "../../.."), "/");
  EXPECT_EQ(NormalizePath("/", "/.."), "/");
}

TEST(NormalizePath, KeepsATrailingSlashExceptOnTheRoot) {
  EXPECT_EQ(NormalizePath("/", "/sealfs/dir/"), "/sealfs/dir/");
  EXPECT_EQ(NormalizePath("/sealfs", "dir/."), "/sealfs/dir/");
  EXPECT_EQ(NormalizePath("/", "/"), "/");
}

TEST(PathTranslator, MapsPathsUnderThePrefixToSealfsPaths) {
  PathTranslator translator("/sealfs/");
  EXPECT_EQ(translator.prefix(), "/sealfs");
  EXPECT_EQ(translator.ToSealfs("/sealfs"), "/");
  EXPECT_EQ(translator.ToSealfs("/sealfs/a/b"), "/a/b");
  EXPECT_EQ(translator.ToSealfs("/sealfs/a/"), "/a/");
}

TEST(PathTranslator, LeavesOtherPathsToTheSystem) {
  PathTranslator translator("/mnt/sealfs");
  EXPECT_EQ(translator.ToSealfs("/mnt"), std::nullopt);
  EXPECT_EQ(translator.ToSealfs("/mnt/sealfsx/a"), std::nullopt);
  EXPECT_EQ(translator.ToSealfs("/etc/sealfs"), std::nullopt);
}

TEST(PathTranslator, ShowsSealfsPathsUnderThePrefix) {
  PathTranslator translator("/sealfs");
  EXPECT_EQ(translator.ToVisible("/"), "/sealfs");
  EXPECT_EQ(translator.ToVisible("/a/b"), "/sealfs/a/b");
}

TEST(PathTranslator, RejectsCheaplyPathsThatCannotReachThePrefix) {
  PathTranslator translator("/mnt/sealfs");
  EXPECT_FALSE(translator.MayName("/usr/lib/libc.so.6"));
  EXPECT_FALSE(translator.MayName("../mnt/x"));
  EXPECT_TRUE(translator.MayName("../sealfs/x"));
  EXPECT_TRUE(translator.MayName("/mnt/sealfs"));
}

TEST(PathTranslator, TellsPathsThatWalkThroughThePrefix) {
  PathTranslator translator("/sealfs");
  EXPECT_TRUE(translator.WalksThrough("/", "/sealfs/.."));
  EXPECT_TRUE(translator.WalksThrough("/tmp", "../sealfs/a/../../etc"));
  EXPECT_FALSE(translator.WalksThrough("/", "/etc/sealfs/../passwd"));
  EXPECT_FALSE(translator.WalksThrough("/home", "sealfsx/.."));
}

}  // namespace
}  // namespace sealfs::intercept
