// One small-metadata request end to end on one server: a real ServerService over a real
// RocksDB, as sealfs-server runs it but without a manager. The database is opened with
// sealfs-server's default StorageOptions (write-ahead log on, not synced on each metadata
// write) in a temp dir that is removed at the end of each run; the Replicator runs over
// FixedPeers::OneServer, so this server heads every record and keeps its one copy.
//
// A file is a CREATE in the root directory as Client::CreateEntry sends it (a new request id,
// so that the reply is recorded with the write; an inode number drawn in the entry's placement
// group), then the LOOKUP that a stat of it sends. Items/s counts files (one CREATE and one
// LOOKUP each), except in BM_ServerLookup where it counts lookups. Times are wall-clock: a
// write waits for RocksDB's log, and the CPU column shows only the calling thread.
#include <benchmark/benchmark.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "bench/micro/context_switches.h"
#include "common/rpc.h"
#include "server/fixed_peers.h"
#include "server/server_service.h"

namespace sealfs {
namespace {

using std::chrono::milliseconds;

constexpr uint64_t kRootIno = 1;
constexpr milliseconds kCallTimeout(10000);

// A directory under $TMPDIR (or /tmp), removed with everything in it when this goes.
class TempDir {
 public:
  TempDir() {
    std::string pattern = std::filesystem::temp_directory_path() / "sealfs-micro-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Empty when it could not be made.
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The pieces of sealfs-server that serve metadata requests, over a database of their own.
// Destroyed in reverse order: the service, the stores, the database, then its directory.
class OneServer {
 public:
  OneServer() {
    if (dir_.path().empty()) {
      status_ = Status::IoError("cannot make a temp dir");
      return;
    }
    // RocksDB logs an error when the database's directory is missing, then makes it.
    std::error_code error;
    std::filesystem::create_directory(dir_.path() + "/db", error);
    status_ = Storage::Open(dir_.path(), StorageOptions(), &storage_);
    if (!status_.ok()) return;
    metadata_ = std::make_unique<MetadataStore>(storage_.get());
    chunks_ = std::make_unique<ChunkStore>(storage_.get());
    replicator_ = std::make_unique<Replicator>(storage_.get(), peers_.get());
    service_ = std::make_unique<ServerService>(storage_.get(), metadata_.get(), chunks_.get(),
                                               replicator_.get());
  }
  OneServer(const OneServer&) = delete;
  OneServer& operator=(const OneServer&) = delete;

  // Ok when the database opened.
  [[nodiscard]] const Status& status() const { return status_; }
  ServerService& service() { return *service_; }
  [[nodiscard]] const Placement& placement() const { return peers_->snapshot()->placement; }

 private:
  TempDir dir_;
  Status status_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<MetadataStore> metadata_;
  std::unique_ptr<ChunkStore> chunks_;
  std::unique_ptr<FixedPeers> peers_ = FixedPeers::OneServer(1);
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<ServerService> service_;
};

// What a client sends for the files of one run: CREATE and LOOKUP of "file-N" in the root.
class FileRequests {
 public:
  explicit FileRequests(const Placement& placement) : placement_(placement) {}

  proto::CreateRequest Create(uint64_t n) {
    proto::CreateRequest request;
    request.set_parent(kRootIno);
    request.set_name(Name(n));
    proto::InodeAttr* attr = request.mutable_attr();
    attr->set_ino(DrawInodePlacedWith(placement_, DentryPlacementKey(kRootIno, request.name()),
                                      [this] { return random_(); }));
    attr->set_mode(S_IFREG | 0644);
    attr->set_nlink(1);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto sec = std::chrono::duration_cast<std::chrono::seconds>(now);
    proto::Timespec* mtime = attr->mutable_mtime();
    mtime->set_sec(sec.count());
    mtime->set_nsec(static_cast<uint32_t>((now - sec).count() % 1'000'000'000));
    *attr->mutable_atime() = *mtime;
    *attr->mutable_ctime() = *mtime;
    attr->set_chunk_size(1U << 20);
    return request;
  }

  static proto::LookupRequest Lookup(uint64_t n) {
    proto::LookupRequest request;
    request.set_parent(kRootIno);
    request.set_name(Name(n));
    return request;
  }

 private:
  static std::string Name(uint64_t n) { return "file-" + std::to_string(n); }

  const Placement& placement_;
  std::mt19937_64 random_{42};
};

// A request as it comes off the wire, handed to ServerService::Handle on this thread.
RpcReply Handle(ServerService& service, proto::Op op, const google::protobuf::MessageLite& message,
                uint64_t request_id) {
  const std::string bytes = message.SerializeAsString();
  RpcRequest request;
  request.op = static_cast<uint16_t>(op);
  request.message = bytes;
  request.request_id = request_id;
  return service.Handle(request);
}

// CREATE then LOOKUP, each handled by ServerService::Handle on the calling thread.
void BM_ServerCreateLookup(benchmark::State& state) {
  OneServer server;
  if (!server.status().ok()) {
    state.SkipWithError(server.status().ToString().c_str());
    return;
  }
  FileRequests requests(server.placement());
  uint64_t n = 0;
  for (auto _ : state) {
    RpcReply created =
        Handle(server.service(), proto::OP_CREATE, requests.Create(n), /*request_id=*/n + 1);
    RpcReply found = Handle(server.service(), proto::OP_LOOKUP, FileRequests::Lookup(n), 0);
    if (!created.status.ok() || !found.status.ok()) {
      state.SkipWithError(
          ("create or lookup failed: " + created.status.ToString() + ", " + found.status.ToString())
              .c_str());
      break;
    }
    ++n;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ServerCreateLookup)->UseRealTime();

// LOOKUP of files that exist (4,096 of them, made before the timed loop), handled directly.
void BM_ServerLookup(benchmark::State& state) {
  constexpr uint64_t kFiles = 4096;
  OneServer server;
  if (!server.status().ok()) {
    state.SkipWithError(server.status().ToString().c_str());
    return;
  }
  FileRequests requests(server.placement());
  for (uint64_t n = 0; n < kFiles; ++n) {
    RpcReply created = Handle(server.service(), proto::OP_CREATE, requests.Create(n), n + 1);
    if (!created.status.ok()) {
      state.SkipWithError(created.status.ToString().c_str());
      return;
    }
  }
  uint64_t n = 0;
  for (auto _ : state) {
    RpcReply found =
        Handle(server.service(), proto::OP_LOOKUP, FileRequests::Lookup(n++ % kFiles), 0);
    if (!found.status.ok()) {
      state.SkipWithError(found.status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ServerLookup)->UseRealTime();

// The same CREATE then LOOKUP from an RpcChannel to an RpcServer on loopback that serves them
// as sealfs-server does (ServerService::ServeWithoutWaiting: on a single-copy server both are
// answered on the I/O thread when their locks are free).
void BM_ServerCreateLookupOverRpc(benchmark::State& state) {
  OneServer server;
  if (!server.status().ok()) {
    state.SkipWithError(server.status().ToString().c_str());
    return;
  }
  RpcServerOptions options;
  options.serve_without_waiting = [&server](const RpcRequest& request) {
    return server.service().ServeWithoutWaiting(request);
  };
  RpcServer rpc_server(server.service().AsHandler(), options);
  std::string address;
  Status started = rpc_server.Start("127.0.0.1:0", &address);
  if (!started.ok()) {
    state.SkipWithError(started.ToString().c_str());
    return;
  }
  IoThreads io;
  auto channel = RpcChannel::Create(io.io(), address, milliseconds(2000));
  FileRequests requests(server.placement());
  // The first call connects; the timed loop starts on an open connection.
  Status connected = channel->Call(proto::OP_LOOKUP, FileRequests::Lookup(0), kCallTimeout).status;
  if (connected.code() != proto::STATUS_NOT_FOUND) {
    state.SkipWithError(("first call: " + connected.ToString()).c_str());
  }
  uint64_t n = 0;
  const int64_t switches = VoluntarySwitches();
  for (auto _ : state) {
    RpcResult created = channel->Call(proto::OP_CREATE, requests.Create(n), kCallTimeout);
    RpcResult found = channel->Call(proto::OP_LOOKUP, FileRequests::Lookup(n), kCallTimeout);
    if (!created.status.ok() || !found.status.ok()) {
      state.SkipWithError(
          ("create or lookup failed: " + created.status.ToString() + ", " + found.status.ToString())
              .c_str());
      break;
    }
    ++n;
  }
  ReportSwitches(state, switches);
  state.SetItemsProcessed(state.iterations());
  channel->Close();
  rpc_server.Stop();
}
BENCHMARK(BM_ServerCreateLookupOverRpc)->UseRealTime();

}  // namespace
}  // namespace sealfs
