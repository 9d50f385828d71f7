// sealfs-micro-bench: Google Benchmark's main, with the servers' logging quieted.
//
//   build/bench/micro/sealfs-micro-bench [--benchmark_filter=REGEX] [--benchmark_min_time=S]
//
// What each benchmark measures: the comment above it, and docs/performance.md.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  // RocksDB's info log goes to spdlog (common/rocksdb_log.h): only warnings and errors, so
  // that the table stays readable.
  spdlog::set_level(spdlog::level::warn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
