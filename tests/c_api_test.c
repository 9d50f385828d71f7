/*
 * The C API used from C, as LevelDB's db/c_test.c: every call of sealfs.h once, compiled as C11
 * so that the header stays valid C. Run against a cluster by programs_test:
 *
 *   c_api_test MANAGER_ADDR
 *
 * Prints each phase; exits 0 when every check passed, 1 at the first failure.
 */
#define _DEFAULT_SOURCE /* d_type, DT_REG */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "sealfs/sealfs.h"

static const char* phase = "";

static void StartPhase(const char* name) {
  phase = name;
  fprintf(stderr, "=== %s\n", name);
}

#define CHECK(cond)                                                                       \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, phase, #cond); \
      exit(1);                                                                            \
    }                                                                                     \
  } while (0)

/* Checks that expr returned `expected` (a count, 0, or a negated errno). */
#define CHECK_RC(expected, expr)                                                             \
  do {                                                                                       \
    long rc_ = (long)(expr);                                                                 \
    if (rc_ != (long)(expected)) {                                                           \
      fprintf(stderr, "%s:%d: %s: %s returned %ld (%s), expected %ld\n", __FILE__, __LINE__, \
              phase, #expr, rc_, rc_ < 0 ? strerror((int)-rc_) : "ok", (long)(expected));    \
      exit(1);                                                                               \
    }                                                                                        \
  } while (0)

int main(int argc, char** argv) {
  sealfs_client* client = NULL;
  sealfs_options options;
  struct stat st;
  struct statvfs vfs;
  struct dirent entry;
  sealfs_dir* dir = NULL;
  char buf[256];
  int fd;
  int major = -1, minor = -1, patch = -1;
  int seen_dot = 0, seen_dotdot = 0, seen_file = 0, seen_other = 0;
  struct timespec times[2];
  int r;

  if (argc != 2) {
    fprintf(stderr, "usage: %s MANAGER_ADDR\n", argv[0]);
    return 2;
  }

  StartPhase("version");
  {
    const char* v = sealfs_version(&major, &minor, &patch);
    CHECK(v != NULL);
    CHECK(major == SEALFS_VERSION_MAJOR && minor == SEALFS_VERSION_MINOR &&
          patch == SEALFS_VERSION_PATCH);
    CHECK(SEALFS_VERSION_NUMBER == major * 1000000 + minor * 1000 + patch);
    CHECK(sealfs_version(NULL, NULL, NULL) == v ||
          strcmp(sealfs_version(NULL, NULL, NULL), v) == 0);
  }

  StartPhase("connect");
  sealfs_options_init(&options);
  CHECK(options.struct_size == sizeof(sealfs_options));
  CHECK(options.connect_timeout_ms > 0);
  CHECK(options.request_timeout_ms > 0);
  CHECK_RC(-EINVAL, sealfs_connect("no-port", &options, &client));
  CHECK(client == NULL);
  CHECK_RC(0, sealfs_connect(argv[1], &options, &client));
  CHECK(client != NULL);

  StartPhase("mkdir");
  CHECK_RC(0, sealfs_mkdir(client, "/c", 0755));
  CHECK_RC(-EEXIST, sealfs_mkdir(client, "/c", 0755));
  CHECK_RC(-ENOENT, sealfs_mkdir(client, "/none/c", 0755));

  StartPhase("open/write/read");
  fd = sealfs_open(client, "/c/file", O_CREAT | O_EXCL | O_RDWR, 0644);
  CHECK(fd >= 0);
  CHECK_RC(-EEXIST, sealfs_open(client, "/c/file", O_CREAT | O_EXCL | O_RDWR, 0644));
  CHECK_RC(5, sealfs_write(client, fd, "hello", 5));
  CHECK_RC(6, sealfs_pwrite(client, fd, " world", 6, 5));
  CHECK_RC(0, sealfs_lseek(client, fd, 0, SEEK_SET));
  memset(buf, 0, sizeof(buf));
  CHECK_RC(11, sealfs_read(client, fd, buf, sizeof(buf)));
  CHECK(memcmp(buf, "hello world", 11) == 0);
  CHECK_RC(5, sealfs_pread(client, fd, buf, 5, 6));
  CHECK(memcmp(buf, "world", 5) == 0);
  CHECK_RC(11, sealfs_lseek(client, fd, 0, SEEK_END));
  CHECK_RC(0, sealfs_fsync(client, fd));
  CHECK_RC(0, sealfs_fstat(client, fd, &st));
  CHECK(S_ISREG(st.st_mode) && st.st_size == 11 && st.st_nlink == 1);
  CHECK_RC(0, sealfs_ftruncate(client, fd, 5));
  CHECK_RC(0, sealfs_close(client, fd));
  CHECK_RC(-EBADF, sealfs_close(client, fd));
  CHECK_RC(-EBADF, sealfs_read(client, fd, buf, 1));

  StartPhase("stat/truncate");
  CHECK_RC(0, sealfs_stat(client, "/c/file", &st));
  CHECK(st.st_size == 5);
  CHECK_RC(0, sealfs_truncate(client, "/c/file", 100));
  CHECK_RC(0, sealfs_lstat(client, "/c/file", &st));
  CHECK(st.st_size == 100);
  CHECK_RC(-ENOENT, sealfs_stat(client, "/c/none", &st));
  CHECK_RC(-ENOTDIR, sealfs_stat(client, "/c/file/x", &st));

  StartPhase("links");
  CHECK_RC(0, sealfs_link(client, "/c/file", "/c/hard"));
  CHECK_RC(0, sealfs_stat(client, "/c/hard", &st));
  CHECK(st.st_nlink == 2);
  CHECK_RC(0, sealfs_symlink(client, "/c/file", "/c/sym"));
  CHECK_RC(7, sealfs_readlink(client, "/c/sym", buf, sizeof(buf)));
  CHECK(memcmp(buf, "/c/file", 7) == 0);
  CHECK_RC(0, sealfs_lstat(client, "/c/sym", &st));
  CHECK(S_ISLNK(st.st_mode));
  CHECK_RC(-EINVAL, sealfs_readlink(client, "/c/file", buf, sizeof(buf)));

  StartPhase("attributes");
  CHECK_RC(0, sealfs_chmod(client, "/c/file", 0600));
  CHECK_RC(0, sealfs_chown(client, "/c/file", 10, 20));
  times[0].tv_sec = 1000;
  times[0].tv_nsec = 0;
  times[1].tv_sec = 0;
  times[1].tv_nsec = UTIME_OMIT;
  CHECK_RC(0, sealfs_utimens(client, "/c/file", times));
  CHECK_RC(0, sealfs_stat(client, "/c/file", &st));
  CHECK((st.st_mode & 07777) == 0600 && st.st_uid == 10 && st.st_gid == 20);
  CHECK(st.st_atime == 1000);
  CHECK_RC(0, sealfs_access(client, "/c/file", F_OK));
  CHECK_RC(-ENOENT, sealfs_access(client, "/c/none", F_OK));
  CHECK_RC(0, sealfs_statvfs(client, "/", &vfs));
  CHECK(vfs.f_blocks > 0 && vfs.f_bsize > 0);

  StartPhase("xattrs");
  CHECK_RC(0, sealfs_setxattr(client, "/c/file", "user.k", "value", 5, XATTR_CREATE));
  CHECK_RC(-EEXIST, sealfs_setxattr(client, "/c/file", "user.k", "v", 1, XATTR_CREATE));
  CHECK_RC(5, sealfs_getxattr(client, "/c/file", "user.k", NULL, 0));
  CHECK_RC(5, sealfs_getxattr(client, "/c/file", "user.k", buf, sizeof(buf)));
  CHECK(memcmp(buf, "value", 5) == 0);
  CHECK_RC(-ERANGE, sealfs_getxattr(client, "/c/file", "user.k", buf, 2));
  CHECK_RC((long)sizeof("user.k"), sealfs_listxattr(client, "/c/file", buf, sizeof(buf)));
  CHECK(strcmp(buf, "user.k") == 0);
  CHECK_RC(0, sealfs_removexattr(client, "/c/file", "user.k"));
  CHECK_RC(-ENODATA, sealfs_getxattr(client, "/c/file", "user.k", buf, sizeof(buf)));

  StartPhase("readdir");
  CHECK_RC(0, sealfs_opendir(client, "/c", &dir));
  while ((r = sealfs_readdir(client, dir, &entry)) == 1) {
    if (strcmp(entry.d_name, ".") == 0) {
      seen_dot++;
    } else if (strcmp(entry.d_name, "..") == 0) {
      seen_dotdot++;
    } else if (strcmp(entry.d_name, "file") == 0) {
      seen_file++;
      CHECK(entry.d_type == DT_REG);
    } else {
      seen_other++;
    }
  }
  CHECK_RC(0, r);
  CHECK_RC(0, sealfs_closedir(client, dir));
  CHECK_RC(0, sealfs_closedir(client, NULL));
  CHECK(seen_dot == 1 && seen_dotdot == 1 && seen_file == 1 && seen_other == 2);

  StartPhase("rename/unlink/rmdir");
  CHECK_RC(0, sealfs_rename(client, "/c/file", "/moved"));
  CHECK_RC(-ENOENT, sealfs_stat(client, "/c/file", &st));
  CHECK_RC(-ENOTEMPTY, sealfs_rmdir(client, "/c"));
  CHECK_RC(0, sealfs_unlink(client, "/c/hard"));
  CHECK_RC(0, sealfs_unlink(client, "/c/sym"));
  CHECK_RC(0, sealfs_unlink(client, "/moved"));
  CHECK_RC(-EISDIR, sealfs_unlink(client, "/c"));
  CHECK_RC(0, sealfs_rmdir(client, "/c"));
  CHECK_RC(-ENOENT, sealfs_stat(client, "/c", &st));

  sealfs_disconnect(client);
  sealfs_disconnect(NULL);
  printf("c_api_test: all checks passed\n");
  return 0;
}
