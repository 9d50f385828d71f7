#include "session.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "address.h"

namespace sealfs::cli {

std::string Quote(std::string_view operand) { return fmt::format("'{}'", operand); }

void PrintError(std::string_view message, int error) {
  if (error != 0) {
    fmt::print(stderr, "sealfs: {}: {}\n", message, std::strerror(error));
  } else {
    fmt::print(stderr, "sealfs: {}\n", message);
  }
}

void RequireDestination(const std::vector<std::string>& paths, std::string_view command) {
  if (paths.size() >= 2) return;
  throw FatalError(kExitUsage,
                   fmt::format("missing destination operand after {}\nTry 'sealfs {} --help' for "
                               "more information.",
                               Quote(paths.empty() ? "" : paths.front()), command));
}

void Session::Fail(std::string_view message, int error) {
  PrintError(message, error);
  status_ = kExitFailure;
}

sealfs::Client& Session::client() {
  if (connected_) return client_;
  const auto address = FindManagerAddress(manager_flag_);
  if (!address) {
    throw FatalError(kExitUsage,
                     "no cluster address: pass --manager HOST:PORT, set SEALFS_MANAGER=HOST:PORT, "
                     "or start a local cluster in ./cluster with 'sealfs cluster start'");
  }
  sealfs_options options = sealfs::default_options();
  // New files get the user's umask, as they would from cp or mkdir.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  options.umask = mask;
  if (patience_ms_ > 0) {
    options.request_timeout_ms = patience_ms_;
    options.failover_timeout_ms = patience_ms_;
  }
  try {
    client_ = sealfs::Client::connect(address->address, &options);
  } catch (const std::system_error& e) {
    const int error = e.code().value();
    if (error == EINVAL) {
      throw FatalError(kExitUsage,
                       fmt::format("bad manager address {} (from {}): expected HOST:PORT",
                                   Quote(address->address), address->source));
    }
    if (error == EHOSTUNREACH || error == ECONNREFUSED || error == ETIMEDOUT) {
      throw FatalError(kExitFailure,
                       fmt::format("no sealfs-manager answers at {} (from {}); is it running?",
                                   address->address, address->source));
    }
    throw FatalError(kExitFailure,
                     fmt::format("cannot reach the cluster at {} (from {}): {}; is sealfs-manager "
                                 "running there?",
                                 address->address, address->source, std::strerror(error)));
  }
  connected_ = true;
  return client_;
}

}  // namespace sealfs::cli
