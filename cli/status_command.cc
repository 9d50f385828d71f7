#include "status_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "format.h"
#include "json.h"

namespace sealfs::cli {
namespace {

struct Totals {
  size_t up = 0;       // UP or SYNCING: alive and serving what it holds complete copies of
  size_t syncing = 0;  // of those, the ones still catching up somewhere
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;
  uint64_t inodes = 0;
};

Totals Sum(const std::vector<sealfs_server_status>& servers) {
  Totals totals;
  for (const auto& server : servers) {
    const bool syncing = server.state == SEALFS_SERVER_SYNCING;
    totals.up += server.up != 0 || syncing ? 1 : 0;
    totals.syncing += syncing ? 1 : 0;
    totals.total_bytes += server.total_bytes;
    totals.available_bytes += server.available_bytes;
    totals.inodes += server.inodes;
  }
  return totals;
}

// The share of the space in use, rounded up as df rounds Use%.
std::string UsePercent(uint64_t total, uint64_t available) {
  if (total == 0) return "-";
  const uint64_t used = total - std::min(total, available);
  return fmt::format("{}%", (used * 100 + total - 1) / total);
}

const char* StateName(int state) {
  switch (state) {
    case SEALFS_SERVER_UP:
      return "UP";
    case SEALFS_SERVER_DOWN:
      return "DOWN";
    case SEALFS_SERVER_SYNCING:
      return "SYNCING";
    case SEALFS_SERVER_OUT:
      return "OUT";
    case SEALFS_SERVER_LEAVING:
      return "LEAVING";
    default:
      return "?";
  }
}

// Where the server's pass over its records stands: "ok" once its copies are complete at the
// current epoch, else what it has walked and copied so far.
std::string SyncText(uint64_t epoch, const sealfs_server_status& server) {
  if (server.state != SEALFS_SERVER_UP && server.state != SEALFS_SERVER_SYNCING) return "-";
  if (server.sync_in_progress == 0 && server.synced_epoch == epoch) return "ok";
  return fmt::format(
      "{} {} checked, {} copied ({})",
      server.sync_in_progress != 0 ? "copying:" : "pending:", server.sync_records_checked,
      server.sync_records_copied, HumanSize(server.sync_bytes_copied));
}

}  // namespace

std::string StatusText(uint64_t epoch, const std::vector<sealfs_server_status>& servers) {
  const Totals totals = Sum(servers);
  const std::string syncing =
      totals.syncing > 0 ? fmt::format(" ({} of them syncing)", totals.syncing) : "";
  std::string text = fmt::format("epoch {}: {} servers, {} up{}, {} down\n", epoch, servers.size(),
                                 totals.up, syncing, servers.size() - totals.up);
  size_t address_width = 7;  // "ADDRESS"
  for (const auto& server : servers)
    address_width = std::max(address_width, std::strlen(server.address));
  text +=
      fmt::format("{:<16}  {:<{}}  {:<7} {:<9} {:>6} {:>6} {:>4} {:>10}  {}\n", "ID", "ADDRESS",
                  address_width, "STATE", "REACHABLE", "SIZE", "AVAIL", "USE%", "INODES", "COPIES");
  for (const auto& server : servers) {
    const bool reachable = server.reachable != 0;
    text += fmt::format("{:016x}  {:<{}}  {:<7} {:<9} {:>6} {:>6} {:>4} {:>10}  {}\n", server.id,
                        server.address, address_width, StateName(server.state),
                        reachable ? "yes" : "no", reachable ? HumanSize(server.total_bytes) : "-",
                        reachable ? HumanSize(server.available_bytes) : "-",
                        reachable ? UsePercent(server.total_bytes, server.available_bytes) : "-",
                        reachable ? std::to_string(server.inodes) : "-", SyncText(epoch, server));
  }
  text +=
      fmt::format("total of reachable servers: {} size, {} available, {} inodes\n",
                  HumanSize(totals.total_bytes), HumanSize(totals.available_bytes), totals.inodes);
  return text;
}

std::string StatusJson(uint64_t epoch, const std::vector<sealfs_server_status>& servers) {
  const Totals totals = Sum(servers);
  std::string out;
  JsonWriter json(&out);
  json.BeginObject();
  json.Field("epoch", epoch);
  json.Key("servers").BeginArray();
  for (const auto& server : servers) {
    json.BeginObject();
    json.Field("id", fmt::format("{:016x}", server.id));
    json.Field("address", std::string_view(server.address));
    json.Field("state", StateName(server.state));
    json.Field("up", server.up != 0);
    json.Field("reachable", server.reachable != 0);
    // What an unreachable server did not say is null, not 0.
    for (const auto& [name, value] : {std::pair{"total_bytes", server.total_bytes},
                                      std::pair{"available_bytes", server.available_bytes},
                                      std::pair{"inodes", server.inodes}}) {
      if (server.reachable != 0) {
        json.Field(name, value);
      } else {
        json.NullField(name);
      }
    }
    json.Key("sync").BeginObject();
    json.Field("in_progress", server.sync_in_progress != 0);
    json.Field("synced_epoch", server.synced_epoch);
    json.Field("records_checked", server.sync_records_checked);
    json.Field("records_copied", server.sync_records_copied);
    json.Field("bytes_copied", server.sync_bytes_copied);
    json.EndObject();
    json.EndObject();
  }
  json.EndArray();
  json.Field("servers_up", totals.up);
  json.Field("servers_syncing", totals.syncing);
  json.Field("servers_down", servers.size() - totals.up);
  json.Field("total_bytes", totals.total_bytes);
  json.Field("available_bytes", totals.available_bytes);
  json.Field("inodes", totals.inodes);
  json.EndObject();
  return out;
}

int RunStatus(Session& session, const StatusOptions& options) {
  constexpr int kPatienceMs = 3000;  // an operator asks exactly when servers are down
  session.set_patience_ms(kPatienceMs);
  uint64_t epoch = 0;
  std::vector<sealfs_server_status> servers;
  try {
    servers = session.client().cluster_status(&epoch);
  } catch (const std::system_error& e) {
    throw FatalError(kExitFailure,
                     fmt::format("cannot get the cluster status: {}", e.code().message()));
  }
  if (options.json) {
    fmt::print("{}\n", StatusJson(epoch, servers));
  } else {
    fmt::print("{}", StatusText(epoch, servers));
  }
  return kExitSuccess;
}

}  // namespace sealfs::cli
