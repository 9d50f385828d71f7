// sealfs-server: serves metadata and file data from a RocksDB under --data-dir.
//
// Prints "listening on HOST:PORT" as the first line on stdout once it serves; logs go to stderr.
// SIGTERM or SIGINT stops it cleanly (exit 0).
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "CLI/CLI.hpp"
#include "chunk_store.h"
#include "identity.h"
#include "intents.h"
#include "manager_link.h"
#include "metadata_store.h"
#include "peer_map.h"
#include "placement.h"
#include "replicator.h"
#include "resync.h"
#include "rpc.h"
#include "server_service.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "storage.h"

namespace {

struct Flags {
  std::string listen = "127.0.0.1:0";
  std::string manager;
  std::string data_dir;
  std::string advertise;
  std::string zone;
  int heartbeat_interval_ms = 1000;
  double scrub_interval_seconds = 300;
  int crash_after_intent_step = -1;
  std::string log_level = "info";
};

int Fail(const std::string& what, const sealfs::Status& status) {
  spdlog::critical("{}: {}", what, status.ToString());
  return 1;
}

bool IsWildcardHost(const std::string& address) {
  std::string host;
  uint16_t port = 0;
  return sealfs::SplitHostPort(address, &host, &port) &&
         (host == "0.0.0.0" || host == "::" || host.empty());
}

int Serve(const Flags& flags, const sigset_t& stop_signals) {
  std::error_code error;
  std::filesystem::create_directories(flags.data_dir, error);
  if (error) {
    spdlog::critical("cannot create data dir {}: {}", flags.data_dir, error.message());
    return 1;
  }
  uint64_t server_id = 0;
  sealfs::Status status = sealfs::LoadOrCreateServerId(flags.data_dir, &server_id);
  if (!status.ok()) return Fail("server identity", status);

  std::unique_ptr<sealfs::Storage> storage;
  status = sealfs::Storage::Open(flags.data_dir, sealfs::StorageOptions(), &storage);
  if (!status.ok()) return Fail("open storage in " + flags.data_dir, status);
  auto metadata = std::make_unique<sealfs::MetadataStore>(storage.get());
  sealfs::ChunkStore chunks(storage.get());
  const uint64_t incarnation = sealfs::DrawRandomId();
  sealfs::PeerMap peers(flags.manager, server_id, incarnation, std::chrono::milliseconds(5000));
  sealfs::Replicator replicator(storage.get(), &peers);
  // The manager learns of a finished pass at once: a SYNCING server waits for that report.
  sealfs::ManagerLink* link_for_reports = nullptr;
  const auto scrub_interval =
      std::chrono::milliseconds(static_cast<int64_t>(flags.scrub_interval_seconds * 1000));
  sealfs::Resync resync(storage.get(), &replicator, scrub_interval, [&link_for_reports] {
    if (link_for_reports != nullptr) link_for_reports->Poke();
  });
  sealfs::ServerService service(storage.get(), metadata.get(), &chunks, &replicator, &resync);
  sealfs::IntentRunner intents(
      storage.get(), &replicator,
      [&service](const sealfs::RpcRequest& request) { return service.Handle(request); });
  service.set_intents(&intents);
  sealfs::Lease lease;
  service.set_lease(&lease);
  intents.set_crash_after_step(flags.crash_after_intent_step);
  metadata->set_inode_filter(
      [&service](uint64_t ino) { return service.IsHead(sealfs::InodePlacementKey(ino)); });
  metadata->set_unlink_filter([&service](uint64_t parent, std::string_view name, uint64_t ino) {
    return service.HeadsBothPlacedAlike(sealfs::DentryPlacementKey(parent, name),
                                        sealfs::InodePlacementKey(ino));
  });

  sealfs::RpcServerOptions server_options;
  server_options.serve_without_waiting = [&service](const sealfs::RpcRequest& request) {
    return service.ServeWithoutWaiting(request);
  };
  sealfs::RpcServer server(service.AsHandler(), server_options);
  std::string bound;
  status = server.Start(flags.listen, &bound);
  if (!status.ok()) return Fail("listen on " + flags.listen, status);
  std::printf("listening on %s\n", bound.c_str());
  std::fflush(stdout);

  std::string advertised = flags.advertise.empty() ? bound : flags.advertise;
  if (IsWildcardHost(advertised)) {
    spdlog::warn("advertising the wildcard address {}; pass --advertise HOST:PORT", advertised);
  }
  spdlog::info("server {:016x} serving {} on {} (advertised {}), {} inodes", server_id,
               flags.data_dir, bound, advertised, storage->inode_count());

  sealfs::ManagerLinkOptions link_options;
  link_options.manager_address = flags.manager;
  link_options.server_id = server_id;
  link_options.incarnation = incarnation;
  link_options.advertised_address = advertised;
  link_options.zone = flags.zone;
  link_options.heartbeat_interval = std::chrono::milliseconds(flags.heartbeat_interval_ms);
  link_options.sync_progress = [&resync] { return resync.progress(); };
  link_options.on_answered = [&lease](std::chrono::steady_clock::time_point sent, uint64_t epoch) {
    lease.Confirm(sent, epoch);
  };
  link_options.on_epoch = [&peers, &resync](uint64_t epoch) {
    peers.NoteEpoch(epoch);
    resync.Wake();
  };
  sealfs::ManagerLink link(link_options);
  link_for_reports = &link;  // before the resync thread starts
  peers.Start();
  resync.Start();
  intents.Start();
  link.Start();

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  spdlog::info("signal {}: stopping", signal_number);
  link.Stop();
  resync.Stop();
  server.Stop();
  intents.Stop();
  peers.Stop();
  status = storage->Close();
  if (!status.ok()) return Fail("close storage", status);
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the stop signals in every thread (threads inherit the mask) and take them in sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Flags flags;
  CLI::App app{"sealfs-server: metadata and data server of SealFS"};
  app.add_option("--listen", flags.listen, "HOST:PORT to serve on; port 0 picks a free port")
      ->capture_default_str();
  app.add_option("--manager", flags.manager, "HOST:PORT of sealfs-manager")->required();
  app.add_option("--data-dir", flags.data_dir, "directory of this server's data (created)")
      ->required();
  app.add_option("--zone", flags.zone,
                 "this server's failure domain (a rack, a machine): the copies of each record "
                 "go to as many different zones as there are");
  app.add_option("--advertise", flags.advertise,
                 "HOST:PORT clients reach this server on (default: the bound address)");
  app.add_option("--heartbeat-interval-ms", flags.heartbeat_interval_ms,
                 "milliseconds between heartbeats to the manager")
      ->capture_default_str()
      ->check(CLI::Range(10, 600000));
  app.add_option("--scrub-interval-seconds", flags.scrub_interval_seconds,
                 "seconds between passes over this server's records that repair copies and "
                 "delete the chunks of inodes that no longer exist (also run on every map change)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 30.0 * 24 * 3600));
  app.add_option("--crash-after-intent-step", flags.crash_after_intent_step,
                 "fault injection for tests: the process kills itself (SIGKILL) right after step "
                 "N of the first intent it coordinates");
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error, critical, off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("sealfs-server");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  return Serve(flags, stop_signals);
}
