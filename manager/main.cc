// sealfs-manager: keeps the cluster map (which servers exist, where, UP or DOWN) and serves it.
//
// The first line on stdout is "listening on HOST:PORT" (the address actually bound); logs go to
// stderr. SIGTERM or SIGINT stops it cleanly with exit status 0.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "cluster_map_store.h"
#include "manager_service.h"
#include "membership.h"
#include "placement.h"
#include "rpc.h"

namespace {

std::string CheckChunkSize(const std::string& value) {
  uint64_t size = 0;
  try {
    size_t used = 0;
    size = std::stoull(value, &used);
    if (used != value.size()) return "not a number of bytes: " + value;
  } catch (const std::exception&) {
    return "not a number of bytes: " + value;
  }
  if (!sealfs::IsValidChunkSize(size)) {
    return "must be a power of two between 4096 (4 KiB) and 67108864 (64 MiB): " + value;
  }
  return {};
}

int Run(int argc, char** argv) {
  // Block the stop signals before any thread exists, so that every thread inherits the mask
  // and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  CLI::App app{"sealfs-manager: cluster map, membership and heartbeats for SealFS"};
  std::string listen = "127.0.0.1:0";
  std::string data_dir;
  int64_t heartbeat_timeout_ms = 5000;
  uint32_t chunk_size = 1U << 20;
  uint32_t replicas = 3;
  uint32_t min_copies = 0;
  double down_out_after_seconds = 600;
  std::string log_level = "info";
  app.add_option("--listen", listen, "HOST:PORT to serve on; port 0 picks a free port")
      ->capture_default_str();
  app.add_option("--data-dir", data_dir, "Directory of the manager's database (created if missing)")
      ->required();
  app.add_option("--heartbeat-timeout-ms", heartbeat_timeout_ms,
                 "A server without a heartbeat for this long is marked DOWN")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{24} * 3600 * 1000));
  app.add_option("--chunk-size", chunk_size,
                 "Default chunk size of new files, in bytes, when the map is first created "
                 "(a power of two, 4 KiB..64 MiB)")
      ->capture_default_str()
      ->check(CLI::Validator(CheckChunkSize, "POWER_OF_TWO"));
  app.add_option("--replicas", replicas,
                 "Copies of every record (metadata and file data), capped by the number of "
                 "servers")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  app.add_option("--min-copies", min_copies,
                 "Copies that must hold a write before it is acknowledged; with fewer alive, "
                 "writes wait and then fail (EIO). Default: replicas - replicas / 2 (2 of 3, "
                 "as Ceph's min_size), capped by replicas")
      ->check(CLI::Range(1, 16));
  app.add_option("--down-out-after", down_out_after_seconds,
                 "Seconds a server may stay DOWN before it is taken out of the map and its "
                 "records are copied to the others")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 365.0 * 24 * 3600));
  app.add_option("--log-level", log_level, "Log level")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("sealfs-manager");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));

  std::unique_ptr<sealfs::manager::ClusterMapStore> store;
  sealfs::Status s = sealfs::manager::ClusterMapStore::Open(data_dir, &store);
  if (!s.ok()) {
    spdlog::critical("cannot open the cluster map store in {}: {}", data_dir, s.ToString());
    return EXIT_FAILURE;
  }
  sealfs::manager::MembershipOptions options;
  options.heartbeat_timeout = std::chrono::milliseconds(heartbeat_timeout_ms);
  options.default_chunk_size = chunk_size;
  options.replicas = replicas;
  options.min_copies = min_copies != 0 ? min_copies : replicas - replicas / 2;
  options.down_out_after =
      std::chrono::milliseconds(static_cast<int64_t>(down_out_after_seconds * 1000));
  std::unique_ptr<sealfs::manager::Membership> membership;
  s = sealfs::manager::Membership::Open(std::move(store), options, &membership);
  if (!s.ok()) {
    spdlog::critical("cannot load the cluster map: {}", s.ToString());
    return EXIT_FAILURE;
  }

  sealfs::manager::ManagerService service(membership.get());
  sealfs::RpcServerOptions server_options;
  server_options.io_threads = 1;      // small messages
  server_options.worker_threads = 2;  // requests serialize on the membership lock anyway
  sealfs::RpcServer server(service.AsHandler(), server_options);
  std::string bound;
  s = server.Start(listen, &bound);
  if (!s.ok()) {
    spdlog::critical("cannot listen on {}: {}", listen, s.ToString());
    return EXIT_FAILURE;
  }
  membership->StartChecker();
  std::cout << "listening on " << bound << std::endl;
  spdlog::info("serving on {}, data in {}, heartbeat timeout {} ms, epoch {}", bound, data_dir,
               heartbeat_timeout_ms, membership->epoch());

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  spdlog::info("stopping on signal {}", signal_number);
  server.Stop();
  membership->StopChecker();
  spdlog::info("stopped at epoch {}", membership->epoch());
  return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "sealfs-manager: " << e.what() << std::endl;
    return EXIT_FAILURE;
  }
}
