// libFuzzer target: the request handler of sealfs-manager, with its cluster map in a real
// RocksDB under $TMPDIR. Registrations and heartbeats from the fuzzer change the map as they
// would from servers; nothing a peer sends may crash the manager.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "cluster_map_store.h"
#include "fuzz_input.h"
#include "manager_service.h"
#include "membership.h"

namespace {

struct Manager {
  std::unique_ptr<sealfs::manager::Membership> membership;
  std::unique_ptr<sealfs::manager::ManagerService> service;
};

Manager* OpenManager() {
  auto* manager = new Manager;  // lives until the process exits, as libFuzzer expects
  std::string dir =
      (std::filesystem::temp_directory_path() / "sealfs-fuzz-manager-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) std::abort();
  std::unique_ptr<sealfs::manager::ClusterMapStore> store;
  if (!sealfs::manager::ClusterMapStore::Open(dir, &store).ok() ||
      !sealfs::manager::Membership::Open(std::move(store), {}, &manager->membership).ok()) {
    std::abort();
  }
  manager->service = std::make_unique<sealfs::manager::ManagerService>(manager->membership.get());
  return manager;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Manager* manager = OpenManager();
  (void)manager->service->Handle(sealfs::fuzz::RequestFrom(data, size));
  return 0;
}
