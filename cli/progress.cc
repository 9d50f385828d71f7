#include "progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "format.h"

namespace sealfs::cli {
namespace {

using Clock = std::chrono::steady_clock;

size_t TerminalWidth() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

}  // namespace

bool ProgressWanted() { return isatty(STDOUT_FILENO) == 1 && isatty(STDERR_FILENO) == 1; }

std::string ProgressLine(const std::string& name, int64_t done, int64_t total, double seconds,
                         size_t width) {
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string numbers = fmt::format(" {:>6}B {:>6}B/s", HumanSize(static_cast<uint64_t>(done)),
                                    HumanSize(static_cast<uint64_t>(rate)));
  std::string bar;
  if (total > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    numbers = fmt::format(" {:3.0f}%", fraction * 100) + numbers;
    if (done < total && rate > 0) {
      const auto left = static_cast<int64_t>(static_cast<double>(total - done) / rate);
      numbers += fmt::format(" ETA {}:{:02}", left / 60, left % 60);
    }
    // Whatever room the name and the numbers leave, up to 40 columns.
    const size_t room = width > name.size() + numbers.size() + 4
                            ? std::min<size_t>(40, width - name.size() - numbers.size() - 4)
                            : 0;
    if (room >= 10) {
      const auto filled = static_cast<size_t>(fraction * static_cast<double>(room));
      bar = " [" + std::string(filled, '=') + std::string(room - filled, ' ') + "]";
    }
  }
  std::string line = name + bar + numbers;
  if (line.size() >= width && width > 1) line = line.substr(line.size() - (width - 1));
  return line;
}

Progress::Progress(bool enabled, std::string name, int64_t total)
    : enabled_(enabled), name_(std::move(name)), total_(total), start_(Clock::now()) {}

void Progress::Update(int64_t done) {
  done_ = done;
  if (!enabled_) return;
  const auto now = Clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done);
}

void Progress::Finish() {
  if (!enabled_) return;
  Draw(done_);
  std::fputc('\n', stderr);
}

void Progress::Draw(int64_t done) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  // \r back to the start of the line, \033[K clears what a longer previous line left.
  fmt::print(stderr, "\r{}\033[K", ProgressLine(name_, done, total_, seconds, TerminalWidth()));
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace sealfs::cli
