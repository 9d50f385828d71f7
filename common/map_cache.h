// MapCache: the latest cluster map fetched from the manager, and one RpcChannel per server in it.
//
// Shared by the client (ClusterView) and the servers (PeerMap). A channel is made on first use
// and replaced once broken; Refresh drops the channels of servers that moved or left.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "placement.h"
#include "rpc.h"

namespace sealfs {

class MapCache {
 public:
  // `io` runs the channels and must outlive the cache; `reader` reads the servers' replies.
  MapCache(asio::io_context& io, std::string manager_address,
           std::chrono::milliseconds connect_timeout, std::chrono::milliseconds call_timeout,
           RpcChannel::ReplyReader reader = RpcChannel::ReplyReader::kIoThread);
  ~MapCache();  // Close()
  MapCache(const MapCache&) = delete;
  MapCache& operator=(const MapCache&) = delete;

  // Fetches the map from the manager and keeps it unless the one held is newer. Fails when the
  // manager cannot be reached or the map lists no server.
  Status Refresh();
  // Keeps `map` (as fetched from elsewhere, a peer) unless the one held is newer.
  void Offer(proto::ClusterMap map);
  // A server's own cache: its placement counts `self` as down until a map shows this
  // `incarnation` of it (Placement). Call before the first Refresh.
  void SetSelf(ServerId self, uint64_t incarnation);
  // The latest map; null until a Refresh succeeded.
  [[nodiscard]] std::shared_ptr<const MapSnapshot> snapshot() const;
  // The channel to a server of the latest map; null (and *status set) when it is not in it.
  std::shared_ptr<RpcChannel> ChannelTo(ServerId server, Status* status);
  // Closes every channel, failing the calls in flight (a Refresh in progress included).
  void Close();
  [[nodiscard]] const std::string& manager_address() const { return manager_address_; }

 private:
  asio::io_context& io_;
  const std::string manager_address_;
  const std::chrono::milliseconds connect_timeout_;
  const std::chrono::milliseconds call_timeout_;
  const RpcChannel::ReplyReader reader_;

  mutable std::mutex mutex_;
  std::shared_ptr<const MapSnapshot> snapshot_;               // GUARDED_BY(mutex_)
  std::map<ServerId, std::shared_ptr<RpcChannel>> channels_;  // GUARDED_BY(mutex_)
  std::shared_ptr<RpcChannel> manager_channel_;               // GUARDED_BY(mutex_)
  ServerId self_ = 0;                                         // GUARDED_BY(mutex_)
  uint64_t self_incarnation_ = 0;                             // GUARDED_BY(mutex_)
};

}  // namespace sealfs
