#include "manager_service.h"

#include <exception>
#include <string>
#include <utility>

namespace sealfs::manager {

namespace {

RpcReply BadFrame(const char* what) {
  return MakeErrorReply({proto::STATUS_BAD_FRAME, std::string(what) + " does not parse"});
}

}  // namespace

RpcHandler ManagerService::AsHandler() {
  return [this](const RpcRequest& request) { return Handle(request); };
}

RpcReply ManagerService::Handle(const RpcRequest& request) {
  try {
    return HandleUnsafe(request);
  } catch (const std::exception& e) {  // allocation failure, in practice
    return MakeErrorReply(Status::IoError(std::string("manager: ") + e.what()));
  } catch (...) {
    return MakeErrorReply(Status::IoError("manager: unknown exception"));
  }
}

RpcReply ManagerService::HandleUnsafe(const RpcRequest& request) {
  switch (request.op) {
    case proto::OP_REGISTER_SERVER: {
      proto::RegisterServerRequest req;
      if (!ParseMessage(request.message, &req)) return BadFrame("RegisterServerRequest");
      proto::RegisterServerReply reply;
      Status s = membership_->Register(req.server_id(), req.address(), req.incarnation(),
                                       reply.mutable_map(), req.zone());
      if (!s.ok()) return MakeErrorReply(std::move(s));
      return MakeReply(reply);
    }
    case proto::OP_HEARTBEAT: {
      proto::HeartbeatRequest req;
      if (!ParseMessage(request.message, &req)) return BadFrame("HeartbeatRequest");
      uint64_t epoch = 0;
      Status s = membership_->Heartbeat(req.server_id(), req.address(), req.sync(), &epoch);
      if (!s.ok()) return MakeErrorReply(std::move(s));
      proto::HeartbeatReply reply;
      reply.set_epoch(epoch);
      return MakeReply(reply);
    }
    case proto::OP_GET_CLUSTER_MAP: {
      proto::GetClusterMapRequest req;
      if (!ParseMessage(request.message, &req)) return BadFrame("GetClusterMapRequest");
      proto::GetClusterMapReply reply;
      *reply.mutable_map() = membership_->GetMap();
      return MakeReply(reply);
    }
    default:
      return MakeErrorReply(
          {proto::STATUS_UNKNOWN_OP, "op " + std::to_string(request.op) + " is not a manager op"});
  }
}

}  // namespace sealfs::manager
