// Voluntary context switches per iteration, as a benchmark counter: each is a thread of the
// process that blocked (on a futex, in epoll_wait, on a socket) and so had to be woken again. A
// round trip that starts handing its work to one more thread shows here as plainly as in its
// time, and unlike its time this count hardly moves when other processes load the machine
// (their preemptions are the involuntary switches, not counted).
#pragma once

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdint>

namespace sealfs {

// The voluntary context switches of this process so far, all its threads'.
inline int64_t VoluntarySwitches() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nvcsw;
}

// Sets the counter "switches" to the voluntary switches of the whole process since `since`,
// per iteration. In a run of several threads only thread 0 should call it: the counters of
// the threads add up, and the iterations are those of every thread.
inline void ReportSwitches(benchmark::State& state, int64_t since) {
  state.counters["switches"] = benchmark::Counter(static_cast<double>(VoluntarySwitches() - since),
                                                  benchmark::Counter::kAvgIterations);
}

}  // namespace sealfs
