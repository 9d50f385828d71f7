/*
 * copy_roundtrip: copies a local file into SealFS and back out, and checks both copies are
 * equal byte for byte; then lists the directory, renames the file and deletes it, printing each
 * step. Written against the C API only.
 *
 *   copy_roundtrip MANAGER_ADDR LOCAL_FILE SEALFS_PATH
 *
 * The copy back is written next to LOCAL_FILE as LOCAL_FILE.roundtrip and removed at the end
 * when it matched. Exits 0 when the copies are equal and every step succeeded, 1 otherwise.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sealfs/sealfs.h"

enum { kBufferSize = 1 << 20 };

/* Prints what failed with the error of a SealFS call (a negated errno) and returns 1. */
static int Fail(const char* what, const char* path, long rc) {
  fprintf(stderr, "copy_roundtrip: %s %s: %s\n", what, path, strerror((int)-rc));
  return 1;
}

/* Copies the local file `from` into SealFS at `to`; *copied receives the byte count. */
static int CopyIn(sealfs_client* client, const char* from, const char* to, char* buf,
                  long long* copied) {
  FILE* in = fopen(from, "rb");
  int fd;
  size_t n;
  if (in == NULL) {
    fprintf(stderr, "copy_roundtrip: cannot open %s: %s\n", from, strerror(errno));
    return 1;
  }
  fd = sealfs_open(client, to, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) {
    fclose(in);
    return Fail("open", to, fd);
  }
  *copied = 0;
  while ((n = fread(buf, 1, kBufferSize, in)) > 0) {
    size_t done = 0;
    while (done < n) {
      ssize_t w = sealfs_write(client, fd, buf + done, n - done);
      if (w < 0) {
        fclose(in);
        sealfs_close(client, fd);
        return Fail("write", to, (long)w);
      }
      done += (size_t)w;
    }
    *copied += (long long)n;
  }
  if (ferror(in)) {
    fprintf(stderr, "copy_roundtrip: cannot read %s\n", from);
    fclose(in);
    sealfs_close(client, fd);
    return 1;
  }
  fclose(in);
  {
    int rc = sealfs_fsync(client, fd);
    if (rc < 0) {
      sealfs_close(client, fd);
      return Fail("fsync", to, rc);
    }
    rc = sealfs_close(client, fd);
    if (rc < 0) return Fail("close", to, rc);
  }
  return 0;
}

/* Copies the SealFS file `from` out to the local file `to`. */
static int CopyOut(sealfs_client* client, const char* from, const char* to, char* buf,
                   long long* copied) {
  FILE* out;
  ssize_t n;
  int fd = sealfs_open(client, from, O_RDONLY, 0);
  if (fd < 0) return Fail("open", from, fd);
  out = fopen(to, "wb");
  if (out == NULL) {
    fprintf(stderr, "copy_roundtrip: cannot create %s: %s\n", to, strerror(errno));
    sealfs_close(client, fd);
    return 1;
  }
  *copied = 0;
  while ((n = sealfs_read(client, fd, buf, kBufferSize)) > 0) {
    if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
      fprintf(stderr, "copy_roundtrip: cannot write %s\n", to);
      fclose(out);
      sealfs_close(client, fd);
      return 1;
    }
    *copied += n;
  }
  sealfs_close(client, fd);
  if (fclose(out) != 0 || n < 0) {
    return n < 0 ? Fail("read", from, (long)n) : 1;
  }
  return 0;
}

/* 0 when both local files hold the same bytes; prints the first difference otherwise. */
static int Compare(const char* a, const char* b) {
  FILE* fa = fopen(a, "rb");
  FILE* fb = fopen(b, "rb");
  long long offset = 0;
  int result = 0;
  if (fa == NULL || fb == NULL) {
    fprintf(stderr, "copy_roundtrip: cannot reopen %s or %s\n", a, b);
    result = 1;
  } else {
    for (;;) {
      int ca = fgetc(fa);
      int cb = fgetc(fb);
      if (ca != cb) {
        fprintf(stderr, "copy_roundtrip: %s and %s differ at byte %lld\n", a, b, offset);
        result = 1;
        break;
      }
      if (ca == EOF) break;
      offset++;
    }
  }
  if (fa != NULL) fclose(fa);
  if (fb != NULL) fclose(fb);
  return result;
}

/* Lists the directory holding `path`, marking the entry of `path` itself. */
static int List(sealfs_client* client, const char* path) {
  char parent[4097];
  const char* slash = strrchr(path, '/');
  size_t len = (size_t)(slash - path);
  sealfs_dir* dir = NULL;
  struct dirent entry;
  int rc;
  if (len == 0) len = 1; /* the root */
  if (len >= sizeof(parent)) return Fail("list", path, -ENAMETOOLONG);
  memcpy(parent, path, len);
  parent[len] = '\0';
  rc = sealfs_opendir(client, parent, &dir);
  if (rc < 0) return Fail("opendir", parent, rc);
  printf("listing %s:\n", parent);
  while ((rc = sealfs_readdir(client, dir, &entry)) == 1) {
    printf("  %s%s\n", entry.d_name, strcmp(entry.d_name, slash + 1) == 0 ? "   <- copied" : "");
  }
  sealfs_closedir(client, dir);
  return rc < 0 ? Fail("readdir", parent, rc) : 0;
}

int main(int argc, char** argv) {
  const char* manager;
  const char* local;
  const char* remote;
  char back[4200];
  char renamed[4200];
  char* buf;
  sealfs_client* client = NULL;
  struct stat st;
  long long in_bytes = 0;
  long long out_bytes = 0;
  int rc;

  if (argc != 4) {
    fprintf(stderr, "usage: %s MANAGER_ADDR LOCAL_FILE SEALFS_PATH\n", argv[0]);
    return 2;
  }
  manager = argv[1];
  local = argv[2];
  remote = argv[3];
  if (remote[0] != '/') {
    fprintf(stderr, "copy_roundtrip: SEALFS_PATH must be absolute, e.g. /demo/file\n");
    return 2;
  }
  snprintf(back, sizeof(back), "%s.roundtrip", local);
  snprintf(renamed, sizeof(renamed), "%s.renamed", remote);

  rc = sealfs_connect(manager, NULL, &client);
  if (rc < 0) return Fail("connect to", manager, rc);
  printf("connected to %s (libsealfs %s)\n", manager, sealfs_version(NULL, NULL, NULL));

  buf = malloc(kBufferSize);
  if (buf == NULL) return 1;
  rc = CopyIn(client, local, remote, buf, &in_bytes);
  if (rc == 0) {
    printf("copied %s -> sealfs:%s (%lld bytes)\n", local, remote, in_bytes);
    rc = sealfs_stat(client, remote, &st);
    if (rc < 0) {
      rc = Fail("stat", remote, rc);
    } else {
      printf("stat sealfs:%s: size %lld, inode %llu, mode %o\n", remote, (long long)st.st_size,
             (unsigned long long)st.st_ino, (unsigned)(st.st_mode & 07777));
      rc = st.st_size == in_bytes ? 0 : 1;
      if (rc != 0) fprintf(stderr, "copy_roundtrip: size in SealFS differs\n");
    }
  }
  if (rc == 0) rc = CopyOut(client, remote, back, buf, &out_bytes);
  if (rc == 0) {
    printf("copied sealfs:%s -> %s (%lld bytes)\n", remote, back, out_bytes);
    rc = Compare(local, back);
    if (rc == 0) printf("compared %s and %s: equal\n", local, back);
  }
  if (rc == 0) rc = List(client, remote);
  if (rc == 0) {
    rc = sealfs_rename(client, remote, renamed);
    if (rc < 0) {
      rc = Fail("rename", remote, rc);
    } else {
      printf("renamed sealfs:%s -> sealfs:%s\n", remote, renamed);
    }
  }
  if (rc == 0) {
    rc = sealfs_unlink(client, renamed);
    if (rc < 0) {
      rc = Fail("unlink", renamed, rc);
    } else {
      printf("deleted sealfs:%s\n", renamed);
      rc = sealfs_stat(client, renamed, &st) == -ENOENT ? 0 : 1;
      if (rc != 0) fprintf(stderr, "copy_roundtrip: %s still exists\n", renamed);
    }
  }
  if (rc == 0) {
    unlink(back);
    printf("round trip OK\n");
  }
  free(buf);
  sealfs_disconnect(client);
  return rc == 0 ? 0 : 1;
}
