/*
 * Compile-only check: <sealfs/sealfs.h> is valid strict C11 on its own, without feature-test
 * macros and with -Wpedantic, so that any C program can include it first.
 */
#include "sealfs/sealfs.h"
#include "sealfs/sealfs_ll.h"

/* A function of every kind of signature, so that the types resolve. */
int sealfs_header_check(sealfs_client* client) {
  sealfs_options options;
  struct stat st;
  sealfs_options_init(&options);
  (void)options;
  return sealfs_stat(client, "/", &st) + SEALFS_VERSION_NUMBER * 0;
}
