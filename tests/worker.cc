// A client process for the multi-process tests (concurrency_test.cc).
//
//   sealfs_test_worker MANAGER_ADDR WORKER_ID FILES BIG_FILE_BYTES
//
// Creates FILES small files /shared/w<ID>-<i> (O_CREAT|O_EXCL) in the directory every worker
// shares, and one file /own-<ID> of BIG_FILE_BYTES written in 64 KiB pieces, all with
// WorkerPattern(); reads each back; exits 0 when everything matched, 1 with a message otherwise.
#include <fcntl.h>
#include <sealfs/sealfs.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "worker_pattern.h"

namespace {

int Fail(const std::string& what, long rc) {
  std::fprintf(stderr, "worker: %s: %ld (%s)\n", what.c_str(), rc,
               rc < 0 ? std::strerror(static_cast<int>(-rc)) : "");
  return 1;
}

std::string ReadAll(sealfs_client* client, const std::string& path, long* rc) {
  std::string data;
  const int fd = sealfs_open(client, path.c_str(), O_RDONLY, 0);
  if (fd < 0) {
    *rc = fd;
    return data;
  }
  char buf[65536];
  ssize_t n = 0;
  while ((n = sealfs_read(client, fd, buf, sizeof(buf))) > 0) data.append(buf, n);
  *rc = n;
  sealfs_close(client, fd);
  return data;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MANAGER_ADDR WORKER_ID FILES BIG_FILE_BYTES\n", argv[0]);
    return 2;
  }
  const int id = std::atoi(argv[2]);
  const int files = std::atoi(argv[3]);
  const std::size_t big = std::strtoull(argv[4], nullptr, 10);
  sealfs_client* client = nullptr;
  int rc = sealfs_connect(argv[1], nullptr, &client);
  if (rc != 0) return Fail("connect", rc);

  for (int i = 0; i < files; ++i) {
    const std::string path = "/shared/w" + std::to_string(id) + "-" + std::to_string(i);
    const std::string data = sealfs::test::WorkerPattern(id, i, 100 + static_cast<std::size_t>(i));
    const int fd = sealfs_open(client, path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) return Fail("create " + path, fd);
    const ssize_t n = sealfs_write(client, fd, data.data(), data.size());
    if (n != static_cast<ssize_t>(data.size())) return Fail("write " + path, n);
    rc = sealfs_close(client, fd);
    if (rc != 0) return Fail("close " + path, rc);
  }

  const std::string own = "/own-" + std::to_string(id);
  const std::string data = sealfs::test::WorkerPattern(id, -1, big);
  const int fd = sealfs_open(client, own.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) return Fail("create " + own, fd);
  for (std::size_t done = 0; done < data.size();) {
    const std::size_t piece = std::min<std::size_t>(65536, data.size() - done);
    const ssize_t n = sealfs_write(client, fd, data.data() + done, piece);
    if (n <= 0) return Fail("write " + own, n);
    done += static_cast<std::size_t>(n);
  }
  rc = sealfs_fsync(client, fd);
  if (rc != 0) return Fail("fsync " + own, rc);
  rc = sealfs_close(client, fd);
  if (rc != 0) return Fail("close " + own, rc);

  long read_rc = 0;
  if (ReadAll(client, own, &read_rc) != data) return Fail("read back differs " + own, read_rc);
  for (int i = 0; i < files; ++i) {
    const std::string path = "/shared/w" + std::to_string(id) + "-" + std::to_string(i);
    if (ReadAll(client, path, &read_rc) !=
        sealfs::test::WorkerPattern(id, i, 100 + static_cast<std::size_t>(i))) {
      return Fail("read back differs " + path, read_rc);
    }
  }
  sealfs_disconnect(client);
  std::printf("worker %d: %d files and %zu bytes written and checked\n", id, files, big);
  return 0;
}
