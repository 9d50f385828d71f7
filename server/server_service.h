// ServerService: the RpcHandler of sealfs-server. Decodes each request, runs it on the
// metadata or chunk store and encodes the reply; one function per op.
//
// A request message that does not parse is answered STATUS_BAD_FRAME; an op this process does
// not serve (manager ops included) STATUS_UNKNOWN_OP. Never throws.
//
// Thread-safe: the stores are.
#pragma once

#include "chunk_store.h"
#include "metadata_store.h"
#include "rpc.h"
#include "storage.h"

namespace sealfs {

class ServerService {
 public:
  ServerService(Storage* storage, MetadataStore* metadata, ChunkStore* chunks)
      : storage_(storage), metadata_(metadata), chunks_(chunks) {}

  RpcReply Handle(const RpcRequest& request);
  // A handler for RpcServer that calls Handle; *this must outlive the server.
  // Metadata ops: short memtable reads and writes, fit to run on an I/O thread. Data ops and
  // syncs block on the disk and go to the worker pool.
  static bool RunsInline(uint16_t op);

  RpcHandler AsHandler() {
    return [this](const RpcRequest& request) { return Handle(request); };
  }

 private:
  RpcReply Dispatch(const RpcRequest& request);
  RpcReply Lookup(const RpcRequest& request);
  RpcReply Create(const RpcRequest& request);
  RpcReply GetAttr(const RpcRequest& request);
  RpcReply SetAttr(const RpcRequest& request);
  RpcReply InsertDentry(const RpcRequest& request);
  RpcReply RemoveDentry(const RpcRequest& request);
  RpcReply ReadDir(const RpcRequest& request);
  RpcReply SetXattr(const RpcRequest& request);
  RpcReply GetXattr(const RpcRequest& request);
  RpcReply ListXattr(const RpcRequest& request);
  RpcReply RemoveXattr(const RpcRequest& request);
  RpcReply WriteChunk(const RpcRequest& request);
  RpcReply ReadChunk(const RpcRequest& request);
  RpcReply TruncateChunks(const RpcRequest& request);
  RpcReply DeleteChunks(const RpcRequest& request);
  RpcReply Sync(const RpcRequest& request);
  RpcReply StatFs(const RpcRequest& request);

  Storage* const storage_;
  MetadataStore* const metadata_;
  ChunkStore* const chunks_;
};

}  // namespace sealfs
