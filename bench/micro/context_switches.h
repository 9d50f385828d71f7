// Context switches per iteration, as a benchmark counter: a round trip that starts waking one
// more thread shows here as plainly as in its time, and on a busy machine more reliably.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdint>

namespace sealfs {

// The context switches of this process so far: every thread's, voluntary or not.
inline int64_t ContextSwitches() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nvcsw + usage.ru_nivcsw;
}

// Sets the counter "switches" to the switches of the whole process since `since` per iteration.
// In a run of several threads only thread 0 should call it: the counters of the threads add up,
// and the iterations are those of every thread.
inline void ReportContextSwitches(benchmark::State& state, int64_t since) {
  state.counters["switches"] = benchmark::Counter(static_cast<double>(ContextSwitches() - since),
                                                  benchmark::Counter::kAvgIterations);
}

}  // namespace sealfs
