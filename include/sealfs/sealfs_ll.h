/**
 * @file sealfs_ll.h
 * @brief The low-level SealFS API: by inode, for file-system bridges such as the FUSE mount.
 *
 * A bridge that keeps its own table of inodes (as the kernel does for a FUSE file system) asks
 * for one name in one directory, or one inode, at a time: one request each, where the path calls
 * of sealfs.h resolve every component. These calls resolve no path and check no permission: the
 * caller has (the kernel does, with `-o default_permissions`). A parent must be a directory's
 * inode; SEALFS_ROOT_INO is the root. The descriptors and directory streams they return are
 * those of sealfs.h: read, write, close and readdir them with its calls. Thread-safe as sealfs.h.
 */
#ifndef SEALFS_SEALFS_LL_H_
#define SEALFS_SEALFS_LL_H_

#include "sealfs/sealfs.h"

/* NOLINTBEGIN(modernize-*) this header is C. */
#ifdef __cplusplus
extern "C" {
#endif

/** The inode number of the root directory. */
#define SEALFS_ROOT_INO 1

/**
 * Looks up one name in a directory.
 * @param client  the client.
 * @param parent  the directory's inode.
 * @param name  the name, NUL-terminated, without '/'.
 * @param out  receives the attributes of the inode the name points at.
 * @returns 0, or -ENOENT, -ENAMETOOLONG, -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_ll_lookup(sealfs_client *client, uint64_t parent, const char *name,
                                   struct stat *out);

/**
 * Reads the attributes of an inode.
 * @param client  the client.
 * @param ino  the inode.
 * @param out  receives its attributes.
 * @returns 0, or -ENOENT (no such inode), -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_ll_getattr(sealfs_client *client, uint64_t ino, struct stat *out);

/** @name sealfs_ll_setattr() fields */
/** @{ */
#define SEALFS_SET_MODE (1 << 0)      /**< st_mode's permission bits */
#define SEALFS_SET_UID (1 << 1)       /**< st_uid */
#define SEALFS_SET_GID (1 << 2)       /**< st_gid */
#define SEALFS_SET_SIZE (1 << 3)      /**< st_size (cuts or extends the data) */
#define SEALFS_SET_ATIME (1 << 4)     /**< st_atim */
#define SEALFS_SET_MTIME (1 << 5)     /**< st_mtim */
#define SEALFS_SET_ATIME_NOW (1 << 6) /**< atime to the current time */
#define SEALFS_SET_MTIME_NOW (1 << 7) /**< mtime to the current time */
#define SEALFS_SET_CTIME (1 << 8)     /**< st_ctim (otherwise ctime becomes now) */
/** @} */

/**
 * Changes the attributes named in to_set; ctime becomes now unless SEALFS_SET_CTIME gives it.
 * @param client  the client.
 * @param ino  the inode.
 * @param values  the new values, read for the fields in to_set.
 * @param to_set  SEALFS_SET_* flags or'ed together.
 * @param out  receives the attributes after the change; may be NULL.
 * @returns 0, or -ENOENT, -EINVAL (a size for what is not a regular file, nanoseconds out of
 *          range), -EFBIG, -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_ll_setattr(sealfs_client *client, uint64_t ino, const struct stat *values,
                                    int to_set, struct stat *out);

/**
 * Creates a regular file, directory, FIFO, socket or device node.
 * @param client  the client.
 * @param parent  the directory's inode.
 * @param name  the new name.
 * @param mode  type and permission bits, used as given (no umask is applied).
 * @param rdev  the device number of a S_IFCHR or S_IFBLK node.
 * @param uid  the owner of the new inode.
 * @param gid  its group.
 * @param out  receives the new inode's attributes.
 * @returns 0, or -EEXIST, -EINVAL (a symlink or unknown type, or "." or ".."), -ENAMETOOLONG,
 *          -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_ll_create(sealfs_client *client, uint64_t parent, const char *name,
                                   mode_t mode, dev_t rdev, uid_t uid, gid_t gid,
                                   struct stat *out);

/**
 * Creates a regular file and opens it, as FUSE's CREATE does: a round trip less than
 * sealfs_ll_create() then sealfs_ll_open(), as the open takes the attributes the create returned.
 * @param client  the client.
 * @param parent  the directory's inode.
 * @param name  the new name.
 * @param mode  the permission bits, used as given (no umask is applied).
 * @param uid  the owner of the new file.
 * @param gid  its group.
 * @param flags  as sealfs_ll_open(); O_CREAT, O_EXCL and O_TRUNC change nothing (the file is new).
 * @param out  receives the new file's attributes; may be NULL.
 * @returns a descriptor >= 0, or the errors of sealfs_ll_create() and sealfs_ll_open(); the
 *          file stays created when only the open fails (-EMFILE).
 */
SEALFS_EXPORT int sealfs_ll_create_open(sealfs_client *client, uint64_t parent, const char *name,
                                        mode_t mode, uid_t uid, gid_t gid, int flags,
                                        struct stat *out);

/**
 * Creates a symbolic link.
 * @param client  the client.
 * @param target  what the link points at, NUL-terminated, not empty.
 * @param parent  the directory's inode.
 * @param name  the new name.
 * @param uid  the owner of the link.
 * @param gid  its group.
 * @param out  receives the link's attributes.
 * @returns 0, or -EEXIST, -ENOENT (empty target), -ENAMETOOLONG, -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_ll_symlink(sealfs_client *client, const char *target, uint64_t parent,
                                    const char *name, uid_t uid, gid_t gid, struct stat *out);

/**
 * Reads a symbolic link's target, as sealfs_readlink() does.
 * @param client  the client.
 * @param ino  the link's inode.
 * @param buf  receives the target, not NUL-terminated, cut at size bytes.
 * @param size  the room in buf.
 * @returns the number of bytes placed in buf, or -EINVAL (not a symlink), -ENOENT, -EIO.
 */
SEALFS_EXPORT ssize_t sealfs_ll_readlink(sealfs_client *client, uint64_t ino, char *buf,
                                         size_t size);

/**
 * Removes a name that is not a directory; the inode goes with its last link.
 * @param client  the client.
 * @param parent  the directory's inode.
 * @param name  the name to remove.
 * @returns 0, or -ENOENT, -EISDIR, -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_ll_unlink(sealfs_client *client, uint64_t parent, const char *name);

/**
 * Removes an empty directory.
 * @param client  the client.
 * @param parent  the inode of the directory holding it.
 * @param name  its name.
 * @returns 0, or -ENOENT, -ENOTDIR, -ENOTEMPTY, -EINVAL ("."), -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_ll_rmdir(sealfs_client *client, uint64_t parent, const char *name);

/**
 * Renames parent/name to new_parent/new_name, as sealfs_rename2(). The caller makes sure a
 * directory is not moved below itself (the kernel does for a mount).
 * @param client  the client.
 * @param parent  the inode of the directory holding the name.
 * @param name  the name to rename.
 * @param new_parent  the inode of the directory it moves to.
 * @param new_name  the new name.
 * @param flags  0, SEALFS_RENAME_NOREPLACE or SEALFS_RENAME_EXCHANGE.
 * @returns 0, or what sealfs_rename2() returns.
 */
SEALFS_EXPORT int sealfs_ll_rename(sealfs_client *client, uint64_t parent, const char *name,
                                   uint64_t new_parent, const char *new_name, unsigned int flags);

/**
 * Adds a hard link to an inode that is not a directory.
 * @param client  the client.
 * @param ino  the inode.
 * @param new_parent  the inode of the directory to hold the new name.
 * @param new_name  the new name.
 * @param out  receives the inode's attributes afterwards (with its new link count).
 * @returns 0, or -EEXIST, -EPERM (a directory), -ENOENT, -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_ll_link(sealfs_client *client, uint64_t ino, uint64_t new_parent,
                                 const char *new_name, struct stat *out);

/**
 * Opens an inode for the descriptor calls of sealfs.h.
 * @param client  the client.
 * @param ino  the inode.
 * @param flags  as sealfs_open(), without O_CREAT (O_TRUNC and O_APPEND are honoured).
 * @returns a descriptor >= 0, or -ENOENT, -EISDIR (a directory for writing), -ELOOP (a symlink),
 *          -EMFILE, -EINVAL, -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_ll_open(sealfs_client *client, uint64_t ino, int flags);

/**
 * Opens a directory by inode for sealfs_readdir() (".." carries the directory's own number).
 * @param client  the client.
 * @param ino  the directory's inode.
 * @param out  receives the stream, to be closed with sealfs_closedir().
 * @returns 0, or -ENOENT, -ENOTDIR, -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_ll_opendir(sealfs_client *client, uint64_t ino, sealfs_dir **out);

/**
 * As sealfs_ll_opendir(), with each entry's attributes read with it for sealfs_ll_readdirplus()
 * (FUSE's readdirplus), so that one listing answers the stat of every name in it. Each server
 * reads the inodes it lists.
 * @param client  the client.
 * @param ino  the directory's inode.
 * @param out  receives the stream, to be closed with sealfs_closedir().
 * @returns 0, or -ENOENT, -ENOTDIR, -EIO, -EHOSTUNREACH.
 */
SEALFS_EXPORT int sealfs_ll_opendirplus(sealfs_client *client, uint64_t ino, sealfs_dir **out);

/**
 * Fills *entry as sealfs_readdir() does, and *attr with the entry's attributes when they were
 * read with it. attr->st_ino is 0 when they were not: ".", "..", a stream of sealfs_ll_opendir(),
 * an inode stored apart from its entry (renamed or linked from another directory); then
 * sealfs_ll_lookup() gives them.
 * @param client  the client that opened dir.
 * @param dir  the directory stream.
 * @param entry  receives the next entry.
 * @param attr  receives its attributes, or st_ino 0.
 * @returns 1 when an entry was filled, 0 at the end, or -EIO.
 */
SEALFS_EXPORT int sealfs_ll_readdirplus(sealfs_client *client, sealfs_dir *dir,
                                        struct dirent *entry, struct stat *attr);

/**
 * Sets an extended attribute of an inode, as sealfs_setxattr().
 * @param client  the client.
 * @param ino  the inode.
 * @param name  the attribute's name.
 * @param value  its value.
 * @param size  the value's length.
 * @param flags  0, XATTR_CREATE or XATTR_REPLACE.
 * @returns 0, or what sealfs_setxattr() returns.
 */
SEALFS_EXPORT int sealfs_ll_setxattr(sealfs_client *client, uint64_t ino, const char *name,
                                     const void *value, size_t size, int flags);

/**
 * Reads an extended attribute of an inode, as sealfs_getxattr().
 * @param client  the client.
 * @param ino  the inode.
 * @param name  the attribute's name.
 * @param value  receives the value.
 * @param size  the room in value, or 0 to ask for the length only.
 * @returns the value's length, or what sealfs_getxattr() returns.
 */
SEALFS_EXPORT ssize_t sealfs_ll_getxattr(sealfs_client *client, uint64_t ino, const char *name,
                                         void *value, size_t size);

/**
 * Lists the extended attributes of an inode, as sealfs_listxattr().
 * @param client  the client.
 * @param ino  the inode.
 * @param list  receives the NUL-terminated names.
 * @param size  the room in list, or 0 to ask for the length only.
 * @returns the list's length, or what sealfs_listxattr() returns.
 */
SEALFS_EXPORT ssize_t sealfs_ll_listxattr(sealfs_client *client, uint64_t ino, char *list,
                                          size_t size);

/**
 * Removes an extended attribute of an inode, as sealfs_removexattr().
 * @param client  the client.
 * @param ino  the inode.
 * @param name  the attribute's name.
 * @returns 0, or what sealfs_removexattr() returns.
 */
SEALFS_EXPORT int sealfs_ll_removexattr(sealfs_client *client, uint64_t ino, const char *name);

#ifdef __cplusplus
}
#endif
/* NOLINTEND(modernize-*) */

#endif /* SEALFS_SEALFS_LL_H_ */
