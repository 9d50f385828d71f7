// ManagerService: the RpcHandler of sealfs-manager. It serves the three manager ops of
// proto/sealfs.proto and nothing else:
//
//   OP_REGISTER_SERVER   RegisterServerRequest -> RegisterServerReply{map}
//   OP_HEARTBEAT         HeartbeatRequest      -> HeartbeatReply{epoch}
//   OP_GET_CLUSTER_MAP   GetClusterMapRequest  -> GetClusterMapReply{map}
//
// A request message that does not parse is STATUS_BAD_FRAME; any other op (including the
// sealfs-server ops) is STATUS_UNKNOWN_OP. Errors of Membership (NOT_FOUND for a heartbeat from
// an unregistered server, INVALID, EXISTS, IO_ERROR) travel as the reply status.
//
// Thread-safe (Membership is) and never throws: Handle is called on RpcServer worker threads.
#pragma once

#include "membership.h"
#include "rpc.h"

namespace sealfs::manager {

class ManagerService {
 public:
  // `membership` must outlive the service and every handler made from it.
  explicit ManagerService(Membership* membership) : membership_(membership) {}

  RpcReply Handle(const RpcRequest& request);
  // A handler for RpcServer that calls Handle.
  RpcHandler AsHandler();

 private:
  RpcReply HandleUnsafe(const RpcRequest& request);

  Membership* membership_;
};

}  // namespace sealfs::manager
