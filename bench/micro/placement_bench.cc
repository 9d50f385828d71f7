// Placement (common/placement.h): which servers hold a record, computed from the map on every
// request. A map of N servers, all UP, 3 copies of each record, 2 needed to acknowledge a write,
// the default number of placement groups; the keys are directory entries (hashed to a group).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/placement.h"

namespace sealfs {
namespace {

constexpr int kKeys = 4096;  // a power of two: the loop picks keys with a mask

proto::ClusterMap MapOf(int servers) {
  proto::ClusterMap map;
  map.set_epoch(1);
  map.set_replicas(3);
  map.set_min_copies(2);
  for (int i = 0; i < servers; ++i) {
    proto::ServerInfo* server = map.add_servers();
    // Server ids are random 64-bit numbers in a real cluster.
    server->set_id(0x9e37'79b9'7f4a'7c15ULL * static_cast<uint64_t>(i + 1));
    server->set_address("10.0.0." + std::to_string(i + 1) + ":7000");
    server->set_state(proto::SERVER_UP);
  }
  return map;
}

std::vector<std::string> EntryKeys() {
  std::vector<std::string> keys;
  keys.reserve(kKeys);
  for (int i = 0; i < kKeys; ++i)
    keys.push_back(DentryPlacementKey(1, "file." + std::to_string(i)));
  return keys;
}

// The server a client sends a request to (ClusterView): the head of the key's chain.
void BM_PlacementHome(benchmark::State& state) {
  const Placement placement(MapOf(static_cast<int>(state.range(0))));
  const std::vector<std::string> keys = EntryKeys();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(placement.Home(keys[i++ & (kKeys - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlacementHome)->ArgName("servers")->Arg(3)->Arg(16)->Arg(64);

// The servers of the key's group, best first, as many as there are copies (rendezvous ranking).
void BM_PlacementRank(benchmark::State& state) {
  const Placement placement(MapOf(static_cast<int>(state.range(0))));
  const std::vector<std::string> keys = EntryKeys();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(placement.Rank(keys[i++ & (kKeys - 1)], placement.replicas()).data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlacementRank)->ArgName("servers")->Arg(3)->Arg(16)->Arg(64);

// The chain a write goes down (the Replicator, on every write, and IsHead on every request).
void BM_PlacementChain(benchmark::State& state) {
  const Placement placement(MapOf(static_cast<int>(state.range(0))));
  const std::vector<std::string> keys = EntryKeys();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(placement.Chain(keys[i++ & (kKeys - 1)]).data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlacementChain)->ArgName("servers")->Arg(3)->Arg(16)->Arg(64);

// A new map's placement, as every process builds it once per map (FixedPeers, MapCache): the
// Placement and whether every group has a chain.
void BM_PlacementOfMap(benchmark::State& state) {
  const proto::ClusterMap map = MapOf(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    Placement placement(map);
    benchmark::DoNotOptimize(placement.EveryGroupServed());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlacementOfMap)->ArgName("servers")->Arg(3)->Arg(16)->Arg(64);

}  // namespace
}  // namespace sealfs
