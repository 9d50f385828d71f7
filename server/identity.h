// The persistent identity of a server: a random nonzero 64-bit id, drawn on the first start and
// kept in <data-dir>/server_id as 16 hex digits. The manager knows a server by this id, so a
// server restarted on another address is the same server, holding the same data.
#pragma once

#include <cstdint>
#include <string>

#include "status.h"

namespace sealfs {

// Reads the id kept in data_dir, or draws one and writes it (temporary file, fsync, rename,
// fsync of the directory) when there is none. A file that does not hold a valid id fails with
// STATUS_IO_ERROR rather than being replaced: a new id would orphan this server's data.
Status LoadOrCreateServerId(const std::string& data_dir, uint64_t* id);

// A random nonzero 64-bit number: server ids, and the incarnation a process registers with.
uint64_t DrawRandomId();

}  // namespace sealfs
