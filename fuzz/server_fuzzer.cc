// libFuzzer target: every request handler of sealfs-server, on a real RocksDB in a temp dir
// that lives as long as the fuzzing process (state carries over between inputs, as on a server
// that keeps serving). A handler may refuse anything; it must never crash.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "chunk_store.h"
#include "fuzz_input.h"
#include "metadata_store.h"
#include "replicator.h"
#include "server/fixed_peers.h"
#include "server_service.h"
#include "storage.h"

namespace {

struct Server {
  std::string dir;
  std::unique_ptr<sealfs::Storage> storage;
  std::unique_ptr<sealfs::MetadataStore> metadata;
  std::unique_ptr<sealfs::ChunkStore> chunks;
  std::unique_ptr<sealfs::FixedPeers> peers = sealfs::FixedPeers::OneServer(1);
  std::unique_ptr<sealfs::Replicator> replicator;
  std::unique_ptr<sealfs::ServerService> service;
};

Server* OpenServer() {
  auto* server = new Server;  // lives until the process exits, as libFuzzer expects
  // Under $TMPDIR, which fuzz/run sets to a dir it removes afterwards.
  std::string dir = (std::filesystem::temp_directory_path() / "sealfs-fuzz-server-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) std::abort();
  server->dir = dir;
  if (!sealfs::Storage::Open(server->dir, sealfs::StorageOptions(), &server->storage).ok()) {
    std::abort();
  }
  server->metadata = std::make_unique<sealfs::MetadataStore>(server->storage.get());
  server->chunks = std::make_unique<sealfs::ChunkStore>(server->storage.get());
  // A server alone: it heads every record, and OP_REPLICATE reaches its replica side too.
  server->replicator =
      std::make_unique<sealfs::Replicator>(server->storage.get(), server->peers.get());
  server->service =
      std::make_unique<sealfs::ServerService>(server->storage.get(), server->metadata.get(),
                                              server->chunks.get(), server->replicator.get());
  return server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Server* server = OpenServer();
  (void)server->service->Handle(sealfs::fuzz::RequestFrom(data, size));
  return 0;
}
