/**
 * @file sealfs.h
 * @brief SealFS client library: the C API.
 *
 * Applications link libsealfs and call these functions; no kernel module and no FUSE sit on the
 * data path. The conventions, stated once:
 *
 * - Handles (sealfs_client, sealfs_dir) are opaque. A client handle comes from sealfs_connect()
 *   and is released by sealfs_disconnect().
 * - Every call returns a value >= 0 on success or a negated errno on failure (-ENOENT, -EIO, ...),
 *   exactly as the POSIX call of the same name would report it. No call reads or writes `errno`.
 * - Pointer arguments must not be NULL, except that sealfs_disconnect(NULL) and a NULL options
 *   pointer are accepted.
 * - Paths are absolute within the file system ("/a/b"); a relative path is -EINVAL. A component
 *   longer than 255 bytes or a path longer than 4096 bytes is -ENAMETOOLONG.
 * - Thread safety: one client handle may be used from many threads at once, including the same
 *   file descriptor (reads and writes at explicit offsets are independent; read/write at the
 *   shared offset are serialized per descriptor). A sealfs_dir must not be used by two threads
 *   at once.
 * - When servers cannot be reached a call fails with -EHOSTUNREACH or -EIO within the timeouts of
 *   sealfs_options; it never hangs.
 * - Descriptors are the client's own small integers, unrelated to the process's descriptors.
 */
#ifndef SEALFS_SEALFS_H_
#define SEALFS_SEALFS_H_

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>

/**
 * @def SEALFS_EXPORT
 * Marks a function of the public API: default visibility while libsealfs itself is built
 * (SEALFS_BUILDING_LIBRARY defined), nothing for applications.
 */
#if defined(SEALFS_BUILDING_LIBRARY)
#define SEALFS_EXPORT __attribute__((visibility("default")))
#else
#define SEALFS_EXPORT
#endif

/* NOLINTBEGIN(modernize-*) this header is C. */
#ifdef __cplusplus
extern "C" {
#endif

/** @name Version
 *  The version of the headers; sealfs_version() reports the version of the library loaded. */
/** @{ */
/** The major version of the headers. */
#define SEALFS_VERSION_MAJOR 0
/** The minor version of the headers. */
#define SEALFS_VERSION_MINOR 1
/** The patch version of the headers. */
#define SEALFS_VERSION_PATCH 0
/** The version as a string. */
#define SEALFS_VERSION_STRING "0.1.0"
/** One comparable number: MAJOR * 1000000 + MINOR * 1000 + PATCH. */
#define SEALFS_VERSION_NUMBER \
  (SEALFS_VERSION_MAJOR * 1000000 + SEALFS_VERSION_MINOR * 1000 + SEALFS_VERSION_PATCH)
/** @} */

/** A connection to one SealFS cluster. Opaque. */
typedef struct sealfs_client sealfs_client;
/** An open directory stream. Opaque. */
typedef struct sealfs_dir sealfs_dir;

/** Settings of a client. Fill with sealfs_options_init(), then change what you need. */
typedef struct sealfs_options {
  /** Size of this struct, set by sealfs_options_init(), so that fields can be added later. */
  size_t struct_size;
  /** Longest wait, in milliseconds, for a connection to a server or the manager. Default 2000. */
  int connect_timeout_ms;
  /** Longest wait, in milliseconds, for the reply to one request. Default 10000. */
  int request_timeout_ms;
  /** Chunk size for new files in bytes, a power of two from 4 KiB to 64 MiB; 0 uses the
   *  cluster's default (the manager's --chunk-size). */
  uint32_t chunk_size;
  /** Owner given to new files and checked by sealfs_access(); -1 uses the process's. */
  int64_t uid;
  /** Group given to new files and checked by sealfs_access(); -1 uses the process's. */
  int64_t gid;
  /** Permission bits cleared from the mode of new files and directories. Default 022. */
  mode_t umask;
  /** The most descriptors open at once on this client; sealfs_open() fails with -EMFILE
   *  beyond. Default 1048576. */
  int max_open_files;
  /** How long, in milliseconds, a call keeps retrying while the cluster recovers from a failure
   *  (a server that died, a head that changed) before it fails; longer than the manager's
   *  heartbeat timeout, so that a dead server's replicas take over unseen. 0: no retry. Default
   *  60000. */
  int failover_timeout_ms;
  /** How long, in milliseconds, a directory this client looked up stays cached for resolving
   *  paths through it, and its attributes for sealfs_ll_getattr(): within that time another
   *  client's rename or removal of the directory, or change of its attributes, may go unseen
   *  here (as the FUSE mount's entry_timeout); this client's own changes show at once. 0: every
   *  path is resolved, and every attribute read, at the servers. Default 1000. */
  int dir_cache_ms;
  /** Nonzero: the first read of each open file moves its access time to now when, at open, it
   *  was not newer than the modification or change time or was a day old (Linux's relatime);
   *  the update travels with the read. 0 (the default): reads leave the access time alone, as
   *  with noatime. The FUSE mount sets it. */
  int relatime;
  /** Nonzero: writes are kept by this client and sent together, as a kernel keeps dirty pages,
   *  so that many small writes cost a few large requests. A file's kept writes are sent 5 ms
   *  after the first of them, when they reach 4 MiB, and before anything of this client reads
   *  or changes the file (a read, a stat, a truncate, an unlink or rename anywhere), so this
   *  client always sees its own writes; sealfs_close(), sealfs_flush() and sealfs_fsync() send
   *  them and report a send that failed. Another client sees a write once it is sent; a write
   *  not yet sent is lost if this process dies. Writes with O_APPEND or O_SYNC, and writes of 256
   * KiB or more (requests of their own anyway), are never kept. 0 (the default): every write
   * reaches the servers before it returns. The FUSE mount sets it unless mounted with -o
   * write_behind=0. */
  int write_behind;
} sealfs_options;

/**
 * Reports the version of the loaded library.
 * @param major  receives the major part of the version; may be NULL.
 * @param minor  receives the minor part of the version; may be NULL.
 * @param patch  receives the patch part of the version; may be NULL.
 * @returns the version as a string "MAJOR.MINOR.PATCH", owned by the library.
 */
SEALFS_EXPORT const char* sealfs_version(int* major, int* minor, int* patch);

/**
 * Fills *options with the defaults.
 * @param options  the struct to fill.
 */
SEALFS_EXPORT void sealfs_options_init(sealfs_options* options);

/**
 * Connects to the cluster whose manager serves at manager_address and fetches the cluster map.
 * The caller owns *out and releases it with sealfs_disconnect().
 * @param manager_address  "HOST:PORT" of sealfs-manager, e.g. "127.0.0.1:7000".
 * @param options  settings, or NULL for the defaults.
 * @param out  receives the new client on success, NULL on failure.
 * @returns 0, or -EINVAL (malformed address or options), -EHOSTUNREACH (manager unreachable),
 *          -EIO (no reply in time), -ENOMEM.
 */
SEALFS_EXPORT int sealfs_connect(const char* manager_address, const sealfs_options* options,
                                 sealfs_client** out);

/**
 * Closes every descriptor still open and releases the client. NULL is a no-op. Data written
 * through descriptors not yet closed is sent first (sealfs_options.write_behind); call
 * sealfs_fsync() first where it must be durable. Directory streams still open can only be closed
 * (sealfs_closedir()) afterwards, not read: close them first.
 * @param client  the client to release, or NULL.
 */
SEALFS_EXPORT void sealfs_disconnect(sealfs_client* client);

/** @name File descriptors */
/** @{ */

/**
 * Opens (and with O_CREAT creates) a file.
 * @param client  the client.
 * @param path  absolute path of the file.
 * @param flags  O_RDONLY, O_WRONLY or O_RDWR, with any of O_CREAT, O_EXCL, O_TRUNC, O_APPEND,
 *               O_SYNC, O_DIRECTORY, O_NOFOLLOW; other flags are ignored.
 * @param mode  permission bits of a created file (the umask of the options applies).
 * @returns a descriptor >= 0, or -ENOENT, -EEXIST (O_CREAT|O_EXCL), -EISDIR (a directory opened
 *          for writing), -ENOTDIR, -ELOOP, -ENAMETOOLONG, -EACCES, -EINVAL, -EMFILE, -EIO,
 *          -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_open(sealfs_client* client, const char* path, int flags, mode_t mode);

/**
 * Closes a descriptor; a file opened with O_SYNC is made durable first. Writes kept for the
 * file (sealfs_options.write_behind) are sent first; the descriptor is closed even when that
 * fails.
 * @param client  the client that opened fd.
 * @param fd  the descriptor to close.
 * @returns 0, or -EBADF, or the failure of a kept write of the file not reported yet
 *          (-ENOSPC, -EIO, -ENOENT when another client removed the file meanwhile, ...).
 */
SEALFS_EXPORT int sealfs_close(sealfs_client* client, int fd);

/**
 * Sends the writes this client keeps for the file of fd (sealfs_options.write_behind) and
 * reports a kept write of the file that failed and was not reported yet, as sealfs_close()
 * does without closing: what a close(2) of one of several descriptors of a file does.
 * @param client  the client that opened fd.
 * @param fd  a descriptor of the file.
 * @returns 0, or -EBADF, or the failure, as sealfs_close().
 */
SEALFS_EXPORT int sealfs_flush(sealfs_client* client, int fd);

/**
 * Reads up to count bytes at the descriptor's offset and advances it.
 * @param client  the client that opened fd.
 * @param fd  the descriptor to read from.
 * @param buf  receives the bytes read.
 * @param count  the most bytes to read.
 * @returns the bytes read (0 at end of file), or -EBADF (not open for reading), -EISDIR, -EIO.
 */
SEALFS_EXPORT ssize_t sealfs_read(sealfs_client* client, int fd, void* buf, size_t count);

/**
 * Writes count bytes at the descriptor's offset (at the end with O_APPEND) and advances it.
 * @param client  the client that opened fd.
 * @param fd  the descriptor to write to.
 * @param buf  the bytes to write.
 * @param count  the number of bytes in buf.
 * @returns the bytes written, or -EBADF (not open for writing), -EFBIG, -ENOSPC, -EIO.
 */
SEALFS_EXPORT ssize_t sealfs_write(sealfs_client* client, int fd, const void* buf, size_t count);

/**
 * Reads up to count bytes at offset; the descriptor's offset does not move.
 * @param client  the client that opened fd.
 * @param fd  the descriptor to read from.
 * @param buf  receives the bytes read.
 * @param count  the most bytes to read.
 * @param offset  position in the file of the first byte to read.
 * @returns the bytes read, or -EBADF, -EINVAL (negative offset), -EIO.
 */
SEALFS_EXPORT ssize_t sealfs_pread(sealfs_client* client, int fd, void* buf, size_t count,
                                   off_t offset);

/**
 * Writes count bytes at offset; the descriptor's offset does not move.
 * @param client  the client that opened fd.
 * @param fd  the descriptor to write to.
 * @param buf  the bytes to write.
 * @param count  the number of bytes in buf.
 * @param offset  position in the file of the first byte to write.
 * @returns the bytes written, or -EBADF, -EINVAL (negative offset), -ENOSPC, -EIO.
 */
SEALFS_EXPORT ssize_t sealfs_pwrite(sealfs_client* client, int fd, const void* buf, size_t count,
                                    off_t offset);

/**
 * Moves the descriptor's offset: SEEK_SET, SEEK_CUR or SEEK_END.
 * @param client  the client that opened fd.
 * @param fd  the descriptor whose offset moves.
 * @param offset  the distance to move, relative to the position whence names.
 * @param whence  SEEK_SET, SEEK_CUR or SEEK_END.
 * @returns the new offset, or -EBADF, -EINVAL (bad whence or a negative result), -EIO.
 */
SEALFS_EXPORT off_t sealfs_lseek(sealfs_client* client, int fd, off_t offset, int whence);

/**
 * Returns once everything written to the file is durable on the servers (RocksDB WAL synced),
 * sending the writes kept for it first (sealfs_options.write_behind).
 * @param client  the client that opened fd.
 * @param fd  the descriptor of the file to make durable.
 * @returns 0, or -EBADF, -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_fsync(sealfs_client* client, int fd);

/**
 * Sets the size of an open file, cutting or extending it with zeros.
 * @param client  the client that opened fd.
 * @param fd  the descriptor of the file.
 * @param length  the new size in bytes.
 * @returns 0, or -EBADF, -EINVAL (negative length or not open for writing), -EIO.
 */
SEALFS_EXPORT int sealfs_ftruncate(sealfs_client* client, int fd, off_t length);

/**
 * Manipulates the space of an open file, as fallocate(2). No space is reserved ahead (data is
 * stored as it is written), so mode 0 only extends the size; the modes that promise zeros write
 * or delete chunks.
 * @param client  the client that opened fd.
 * @param fd  the descriptor of a regular file open for writing.
 * @param mode  0 (extend the size to offset + len if smaller), FALLOC_FL_KEEP_SIZE (nothing to
 *              do), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE (the range reads as zeros, the
 *              size stays), FALLOC_FL_ZERO_RANGE with or without FALLOC_FL_KEEP_SIZE (the range
 *              reads as zeros; without KEEP_SIZE the size grows to offset + len).
 * @param offset  where the range starts, >= 0.
 * @param len  the length of the range, > 0.
 * @returns 0, or -EBADF (not open for writing), -EINVAL (offset < 0 or len <= 0), -EOPNOTSUPP
 *          (another mode, or PUNCH_HOLE without KEEP_SIZE), -EISDIR, -EFBIG, -EIO.
 */
SEALFS_EXPORT int sealfs_fallocate(sealfs_client* client, int fd, int mode, off_t offset,
                                   off_t len);

/**
 * Fills *st with the attributes of an open file.
 * @param client  the client that opened fd.
 * @param fd  the descriptor of the file.
 * @param st  receives the attributes.
 * @returns 0, or -EBADF, -EIO.
 */
SEALFS_EXPORT int sealfs_fstat(sealfs_client* client, int fd, struct stat* st);

/** @} */
/** @name Paths */
/** @{ */

/**
 * Fills *st with the attributes of path, following a final symlink.
 * @param client  the client.
 * @param path  absolute path to describe.
 * @param st  receives the attributes.
 * @returns 0, or -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG, -EINVAL, -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_stat(sealfs_client* client, const char* path, struct stat* st);

/**
 * As sealfs_stat(), but a final symlink is described itself.
 * @param client  the client.
 * @param path  absolute path to describe.
 * @param st  receives the attributes.
 * @returns as sealfs_stat().
 */
SEALFS_EXPORT int sealfs_lstat(sealfs_client* client, const char* path, struct stat* st);

/**
 * Sets the size of a file by path.
 * @param client  the client.
 * @param path  absolute path of the file.
 * @param length  the new size in bytes.
 * @returns 0, or -ENOENT, -EISDIR, -EINVAL, -EIO.
 */
SEALFS_EXPORT int sealfs_truncate(sealfs_client* client, const char* path, off_t length);

/**
 * Creates a directory.
 * @param client  the client.
 * @param path  absolute path of the new directory.
 * @param mode  permission bits of the new directory (the umask of the options applies).
 * @returns 0, or -EEXIST, -ENOENT (no parent), -ENOTDIR, -ENAMETOOLONG.
 */
SEALFS_EXPORT int sealfs_mkdir(sealfs_client* client, const char* path, mode_t mode);

/**
 * Creates a regular file, FIFO, socket or device node, as mknod(2). FIFOs, sockets and devices
 * are metadata only: they can be listed and stat'ed (with their rdev), not opened for I/O.
 * @param client  the client.
 * @param path  absolute path of the new node.
 * @param mode  S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR or S_IFBLK, or'ed with the permission bits
 *              (the umask of the options applies).
 * @param rdev  the device number of a S_IFCHR or S_IFBLK node; ignored for the others.
 * @returns 0, or -EEXIST, -ENOENT (no parent), -ENOTDIR, -EINVAL (another type),
 *          -ENAMETOOLONG.
 */
SEALFS_EXPORT int sealfs_mknod(sealfs_client* client, const char* path, mode_t mode, dev_t rdev);

/**
 * Removes an empty directory.
 * @param client  the client.
 * @param path  absolute path of the directory.
 * @returns 0, or -ENOENT, -ENOTDIR, -ENOTEMPTY, -EBUSY (the root), -EINVAL (path ends in ".").
 */
SEALFS_EXPORT int sealfs_rmdir(sealfs_client* client, const char* path);

/**
 * Removes a name; the file goes when its last name does.
 * @param client  the client.
 * @param path  absolute path of the name to remove.
 * @returns 0, or -ENOENT, -EISDIR, -ENOTDIR.
 */
SEALFS_EXPORT int sealfs_unlink(sealfs_client* client, const char* path);

/**
 * Renames oldpath to newpath, replacing newpath as rename(2) does. Works across servers (never
 * -EXDEV); a directory is renamed at the same cost whatever it contains.
 * @param client  the client.
 * @param oldpath  absolute path of the file or directory to rename.
 * @param newpath  absolute path it is renamed to.
 * @returns 0, or -ENOENT, -ENOTDIR, -EISDIR, -ENOTEMPTY, -EINVAL (a directory into itself),
 *          -EBUSY (the root), -EIO.
 */
SEALFS_EXPORT int sealfs_rename(sealfs_client* client, const char* oldpath, const char* newpath);

/** sealfs_rename2() flag: fail with -EEXIST instead of replacing newpath (Linux's value). */
#define SEALFS_RENAME_NOREPLACE (1U << 0)
/** sealfs_rename2() flag: swap oldpath and newpath, which must both exist (Linux's value). */
#define SEALFS_RENAME_EXCHANGE (1U << 1)

/**
 * sealfs_rename() with flags, as renameat2(2).
 * @param client  the client.
 * @param oldpath  absolute path of the file or directory to rename.
 * @param newpath  absolute path it is renamed to.
 * @param flags  0, SEALFS_RENAME_NOREPLACE or SEALFS_RENAME_EXCHANGE.
 * @returns what sealfs_rename() returns, and -EEXIST (NOREPLACE and newpath exists), -ENOENT
 *          (EXCHANGE and either path is missing), -EINVAL (unknown or both flags).
 */
SEALFS_EXPORT int sealfs_rename2(sealfs_client* client, const char* oldpath, const char* newpath,
                                 unsigned int flags);

/**
 * Adds a hard link newpath to the file oldpath.
 * @param client  the client.
 * @param oldpath  absolute path of an existing file.
 * @param newpath  absolute path of the new link.
 * @returns 0, or -ENOENT, -EEXIST, -EPERM (a directory), -ENOTDIR.
 */
SEALFS_EXPORT int sealfs_link(sealfs_client* client, const char* oldpath, const char* newpath);

/**
 * Creates a symbolic link linkpath whose content is target (not checked to exist).
 * @param client  the client.
 * @param target  the content of the link.
 * @param linkpath  absolute path of the new link.
 * @returns 0, or -EEXIST, -ENOENT, -ENOTDIR, -ENAMETOOLONG.
 */
SEALFS_EXPORT int sealfs_symlink(sealfs_client* client, const char* target, const char* linkpath);

/**
 * Copies the target of a symlink into buf, without a terminating NUL, cut at bufsize.
 * @param client  the client.
 * @param path  absolute path of the symlink.
 * @param buf  receives the target.
 * @param bufsize  the size of buf in bytes.
 * @returns the bytes placed in buf, or -EINVAL (not a symlink), -ENOENT.
 */
SEALFS_EXPORT ssize_t sealfs_readlink(sealfs_client* client, const char* path, char* buf,
                                      size_t bufsize);

/**
 * Sets the permission bits (and set-id and sticky bits) of path.
 * @param client  the client.
 * @param path  absolute path of the file or directory.
 * @param mode  the new permission, set-id and sticky bits.
 * @returns 0, or -ENOENT.
 */
SEALFS_EXPORT int sealfs_chmod(sealfs_client* client, const char* path, mode_t mode);

/**
 * Sets owner and group; (uid_t)-1 or (gid_t)-1 leaves that one alone.
 * @param client  the client.
 * @param path  absolute path of the file or directory.
 * @param owner  the new owner, or (uid_t)-1 to keep it.
 * @param group  the new group, or (gid_t)-1 to keep it.
 * @returns 0, or -ENOENT.
 */
SEALFS_EXPORT int sealfs_chown(sealfs_client* client, const char* path, uid_t owner, gid_t group);

/**
 * Sets access and modification times as utimensat(2) does, including UTIME_NOW and UTIME_OMIT;
 * times may be NULL for "now".
 * @param client  the client.
 * @param path  absolute path of the file or directory.
 * @param times  the access time, then the modification time; or NULL for "now".
 * @returns 0, or -ENOENT, -EINVAL.
 */
SEALFS_EXPORT int sealfs_utimens(sealfs_client* client, const char* path,
                                 const struct timespec times[2]);

/**
 * Checks R_OK, W_OK, X_OK (or F_OK) for the client's uid and gid.
 * @param client  the client whose uid and gid are checked.
 * @param path  absolute path to check.
 * @param mode  R_OK, W_OK and X_OK or'ed together, or F_OK.
 * @returns 0, or -EACCES, -ENOENT, -EINVAL.
 */
SEALFS_EXPORT int sealfs_access(sealfs_client* client, const char* path, int mode);

/**
 * Describes the whole file system: the capacity of all servers together.
 * @param client  the client.
 * @param path  any absolute path in the file system.
 * @param buf  receives the description.
 * @returns 0, or -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_statvfs(sealfs_client* client, const char* path, struct statvfs* buf);

/** @} */
/** @name Directories */
/** @{ */

/**
 * Opens a directory stream. Release with sealfs_closedir().
 * @param client  the client.
 * @param path  absolute path of the directory.
 * @param out  receives the new directory stream.
 * @returns 0 and *out, or -ENOENT, -ENOTDIR.
 */
SEALFS_EXPORT int sealfs_opendir(sealfs_client* client, const char* path, sealfs_dir** out);

/**
 * Fills *entry with the next entry ("." and ".." first).
 * @param client  the client that opened dir.
 * @param dir  the directory stream.
 * @param entry  receives the next entry.
 * @returns 1 when an entry was filled, 0 at the end, or -EIO.
 */
SEALFS_EXPORT int sealfs_readdir(sealfs_client* client, sealfs_dir* dir, struct dirent* entry);

/**
 * Releases a directory stream; NULL is a no-op.
 * @param client  the client that opened dir.
 * @param dir  the directory stream to release, or NULL.
 * @returns 0.
 */
SEALFS_EXPORT int sealfs_closedir(sealfs_client* client, sealfs_dir* dir);

/** @} */
/** @name Extended attributes */
/** @{ */

/**
 * Sets an extended attribute (flags 0, XATTR_CREATE or XATTR_REPLACE).
 * @param client  the client.
 * @param path  absolute path of the file or directory.
 * @param name  the attribute's name, NUL-terminated.
 * @param value  the attribute's value.
 * @param size  the size of value in bytes.
 * @param flags  0, XATTR_CREATE or XATTR_REPLACE.
 * @returns 0, or -EEXIST, -ENODATA, -ERANGE (name over 255 or value over 65536 bytes), -ENOENT.
 */
SEALFS_EXPORT int sealfs_setxattr(sealfs_client* client, const char* path, const char* name,
                                  const void* value, size_t size, int flags);

/**
 * Copies an attribute's value into value; size 0 asks for the length only.
 * @param client  the client.
 * @param path  absolute path of the file or directory.
 * @param name  the attribute's name, NUL-terminated.
 * @param value  receives the value.
 * @param size  the size of value in bytes, or 0.
 * @returns the length of the value, or -ENODATA, -ERANGE (buffer too small), -ENOENT.
 */
SEALFS_EXPORT ssize_t sealfs_getxattr(sealfs_client* client, const char* path, const char* name,
                                      void* value, size_t size);

/**
 * Copies the NUL-terminated attribute names into list; size 0 asks for the length only.
 * @param client  the client.
 * @param path  absolute path of the file or directory.
 * @param list  receives the names, one after another.
 * @param size  the size of list in bytes, or 0.
 * @returns the length of the list, or -ERANGE, -ENOENT.
 */
SEALFS_EXPORT ssize_t sealfs_listxattr(sealfs_client* client, const char* path, char* list,
                                       size_t size);

/**
 * Removes an extended attribute.
 * @param client  the client.
 * @param path  absolute path of the file or directory.
 * @param name  the attribute's name, NUL-terminated.
 * @returns 0, or -ENODATA, -ENOENT.
 */
SEALFS_EXPORT int sealfs_removexattr(sealfs_client* client, const char* path, const char* name);

/** @} */
/** @name The cluster */
/** @{ */

/** One server of the cluster map, as sealfs_cluster_status() reports it. */
typedef struct sealfs_server_status {
  /** The server's persistent identity. */
  uint64_t id;
  /** Where it serves now, "HOST:PORT", NUL-terminated. */
  char address[64];
  /** 1 when the manager lists it UP, 0 when DOWN (missed heartbeats). */
  int up;
  /** 1 when it answered just now; the fields below are 0 when it did not. */
  int reachable;
  /** Size of the file system holding its data dir, in bytes. */
  uint64_t total_bytes;
  /** Bytes free there for unprivileged users. */
  uint64_t available_bytes;
  /** Inode records this server holds. */
  uint64_t inodes;
  /** Its state in the map: one of the SEALFS_SERVER_* values. */
  int state;
  /** 1 while it is walking its records to bring their copies on other servers up to date (after
   *  a change of the map: a server came back, joined or went out). */
  int sync_in_progress;
  /** The map epoch of its last complete pass; every record it is the head of had all its copies
   *  then. */
  uint64_t synced_epoch;
  /** Records walked in its pass under way (or its last one). */
  uint64_t sync_records_checked;
  /** Records it copied, in that pass, to servers that lacked them or held them differently. */
  uint64_t sync_records_copied;
  /** Bytes it copied in that pass. */
  uint64_t sync_bytes_copied;
} sealfs_server_status;

/** Server states in sealfs_server_status.state. */
enum {
  /** Serving. */
  SEALFS_SERVER_UP = 1,
  /** Missed its heartbeats: its copies elsewhere serve in its place. */
  SEALFS_SERVER_DOWN = 2,
  /** Back or new: it receives every write but serves nothing until it has caught up. */
  SEALFS_SERVER_SYNCING = 3,
  /** Down for longer than the manager's --down-out-after: out of placement for good; its
   *  records were copied to the others. */
  SEALFS_SERVER_OUT = 4,
  /** Down for longer than --down-out-after, its records being copied to the others; OUT once
   *  they are. */
  SEALFS_SERVER_LEAVING = 5
};

/**
 * Asks the manager for the current cluster map and every server for its capacity.
 * @param client  the client.
 * @param epoch  receives the map's epoch (it grows with every change of the map); may be NULL.
 * @param servers  receives up to max_servers entries, ordered by id; may be NULL if
 *                 max_servers is 0.
 * @param max_servers  the room in servers.
 * @returns the number of servers in the map (which may exceed max_servers: call again with
 *          more room), or -EHOSTUNREACH, -EIO (the manager cannot be reached), -EINVAL.
 */
SEALFS_EXPORT int sealfs_cluster_status(sealfs_client* client, uint64_t* epoch,
                                        sealfs_server_status* servers, int max_servers);

/** @} */

#ifdef __cplusplus
}
#endif
/* NOLINTEND(modernize-*) */

#endif /* SEALFS_SEALFS_H_ */
