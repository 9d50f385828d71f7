// The progress bar of long copies, drawn on stderr when a person watches.
#ifndef SEALFS_CLI_PROGRESS_H_
#define SEALFS_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace sealfs::cli {

/// @returns true when standard output and standard error are both terminals: the case where
///          `sealfs put` and `get` draw a progress bar.
bool ProgressWanted();

/// One line on stderr, redrawn in place: name, percentage and bar (when the total is known),
/// bytes copied, rate. Draws nothing when disabled. Not thread-safe.
class Progress {
 public:
  /// @param enabled  whether to draw at all.
  /// @param name  what is being copied, shown at the start of the line.
  /// @param total  the bytes to copy, or -1 when unknown (standard input).
  Progress(bool enabled, std::string name, int64_t total);

  /// Records that done bytes are copied; redraws at most ten times a second.
  void Update(int64_t done);

  /// Draws the final state and ends the line.
  void Finish();

 private:
  void Draw(int64_t done);

  bool enabled_;
  std::string name_;
  int64_t total_;
  int64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
};

/// The bar line itself, width columns wide at most (a pure function, for the unit test).
std::string ProgressLine(const std::string& name, int64_t done, int64_t total, double seconds,
                         size_t width);

}  // namespace sealfs::cli

#endif  // SEALFS_CLI_PROGRESS_H_
