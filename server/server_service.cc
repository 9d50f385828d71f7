#include "server_service.h"

#include <exception>

#include "spdlog/spdlog.h"

namespace sealfs {

namespace {

RpcReply BadFrame(const RpcRequest& request) {
  return MakeErrorReply(
      {proto::STATUS_BAD_FRAME, "request of op " + std::to_string(request.op) + " does not parse"});
}

// The reply for a store call that fills `reply`.
template <typename Reply>
RpcReply Finish(const Status& status, const Reply& reply, std::string payload = {}) {
  if (!status.ok()) return MakeErrorReply(status);
  return MakeReply(reply, std::move(payload));
}

}  // namespace

RpcReply ServerService::Handle(const RpcRequest& request) {
  try {
    return Dispatch(request);
  } catch (const std::exception& e) {
    spdlog::error("op {} failed: {}", request.op, e.what());
    return MakeErrorReply(Status::IoError(e.what()));
  }
}

bool ServerService::RunsInline(uint16_t op) {
  switch (op) {
    case proto::OP_LOOKUP:
    case proto::OP_CREATE:
    case proto::OP_GET_ATTR:
    case proto::OP_SET_ATTR:
    case proto::OP_INSERT_DENTRY:
    case proto::OP_REMOVE_DENTRY:
    case proto::OP_GET_XATTR:
    case proto::OP_LIST_XATTR:
      return true;
    default:
      return false;
  }
}

RpcReply ServerService::Dispatch(const RpcRequest& request) {
  switch (request.op) {
    case proto::OP_LOOKUP:
      return Lookup(request);
    case proto::OP_CREATE:
      return Create(request);
    case proto::OP_GET_ATTR:
      return GetAttr(request);
    case proto::OP_SET_ATTR:
      return SetAttr(request);
    case proto::OP_INSERT_DENTRY:
      return InsertDentry(request);
    case proto::OP_REMOVE_DENTRY:
      return RemoveDentry(request);
    case proto::OP_READ_DIR:
      return ReadDir(request);
    case proto::OP_SET_XATTR:
      return SetXattr(request);
    case proto::OP_GET_XATTR:
      return GetXattr(request);
    case proto::OP_LIST_XATTR:
      return ListXattr(request);
    case proto::OP_REMOVE_XATTR:
      return RemoveXattr(request);
    case proto::OP_WRITE_CHUNK:
      return WriteChunk(request);
    case proto::OP_READ_CHUNK:
      return ReadChunk(request);
    case proto::OP_TRUNCATE_CHUNKS:
      return TruncateChunks(request);
    case proto::OP_DELETE_CHUNKS:
      return DeleteChunks(request);
    case proto::OP_SYNC:
      return Sync(request);
    case proto::OP_STAT_FS:
      return StatFs(request);
    default:
      return MakeErrorReply(
          {proto::STATUS_UNKNOWN_OP, "op " + std::to_string(request.op) + " is not served here"});
  }
}

RpcReply ServerService::Lookup(const RpcRequest& request) {
  proto::LookupRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::LookupReply out;
  return Finish(metadata_->Lookup(in, &out), out);
}

RpcReply ServerService::Create(const RpcRequest& request) {
  proto::CreateRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::CreateReply out;
  return Finish(metadata_->Create(in, &out), out);
}

RpcReply ServerService::GetAttr(const RpcRequest& request) {
  proto::GetAttrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::GetAttrReply out;
  return Finish(metadata_->GetAttr(in, &out), out);
}

RpcReply ServerService::SetAttr(const RpcRequest& request) {
  proto::SetAttrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::SetAttrReply out;
  return Finish(metadata_->SetAttr(in, &out), out);
}

RpcReply ServerService::InsertDentry(const RpcRequest& request) {
  proto::InsertDentryRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  return Finish(metadata_->InsertDentry(in), proto::InsertDentryReply());
}

RpcReply ServerService::RemoveDentry(const RpcRequest& request) {
  proto::RemoveDentryRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::RemoveDentryReply out;
  return Finish(metadata_->RemoveDentry(in, &out), out);
}

RpcReply ServerService::ReadDir(const RpcRequest& request) {
  proto::ReadDirRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::ReadDirReply out;
  return Finish(metadata_->ReadDir(in, &out), out);
}

RpcReply ServerService::SetXattr(const RpcRequest& request) {
  proto::SetXattrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  return Finish(metadata_->SetXattr(in, request.payload), proto::Empty());
}

RpcReply ServerService::GetXattr(const RpcRequest& request) {
  proto::GetXattrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  std::string value;
  Status status = metadata_->GetXattr(in, &value);
  return Finish(status, proto::Empty(), std::move(value));
}

RpcReply ServerService::ListXattr(const RpcRequest& request) {
  proto::ListXattrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::ListXattrReply out;
  return Finish(metadata_->ListXattr(in, &out), out);
}

RpcReply ServerService::RemoveXattr(const RpcRequest& request) {
  proto::RemoveXattrRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  return Finish(metadata_->RemoveXattr(in), proto::Empty());
}

RpcReply ServerService::WriteChunk(const RpcRequest& request) {
  proto::WriteChunkRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  Status status = chunks_->WriteChunk(in.ino(), in.index(), in.offset(), request.payload, in.sync(),
                                      in.chunk_size());
  return Finish(status, proto::Empty());
}

RpcReply ServerService::ReadChunk(const RpcRequest& request) {
  proto::ReadChunkRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  std::string data;
  Status status = chunks_->ReadChunk(in.ino(), in.index(), in.offset(), in.length(), &data);
  return Finish(status, proto::Empty(), std::move(data));
}

RpcReply ServerService::TruncateChunks(const RpcRequest& request) {
  proto::TruncateChunksRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  return Finish(chunks_->TruncateChunks(in.ino(), in.size(), in.chunk_size()), proto::Empty());
}

RpcReply ServerService::DeleteChunks(const RpcRequest& request) {
  proto::DeleteChunksRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  return Finish(chunks_->DeleteChunks(in.ino(), in.first_index(), in.end_index()), proto::Empty());
}

RpcReply ServerService::Sync(const RpcRequest& request) {
  proto::SyncRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  return Finish(chunks_->Sync(), proto::Empty());
}

RpcReply ServerService::StatFs(const RpcRequest& request) {
  proto::StatFsRequest in;
  if (!ParseMessage(request.message, &in)) return BadFrame(request);
  proto::StatFsReply out;
  uint64_t total = 0;
  uint64_t free = 0;
  uint64_t available = 0;
  Status status = storage_->StatFs(&total, &free, &available);
  out.set_total_bytes(total);
  out.set_free_bytes(free);
  out.set_available_bytes(available);
  out.set_inodes(metadata_->inode_count());
  return Finish(status, out);
}

}  // namespace sealfs
