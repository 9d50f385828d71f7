// The namespace half of the client: path resolution, create, remove, rename, link, attributes.
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <optional>

#include "client.h"
#include "path.h"
#include "placement.h"

namespace sealfs::client {

namespace {

// A create that keeps losing inode-id races is a bug, not bad luck.
constexpr int kMaxCreateAttempts = 8;
constexpr std::size_t kMaxXattrValue = 65536;

bool IsDir(uint32_t type_or_mode) { return S_ISDIR(type_or_mode); }

// Steps of an intent (OP_RUN_INTENT; server/intents.h).
proto::IntentStep MakeStep(proto::Op op, const google::protobuf::MessageLite& request,
                           std::string placement_key, bool best_effort = false) {
  proto::IntentStep step;
  step.set_op(op);
  step.set_message(request.SerializeAsString());
  step.set_placement_key(std::move(placement_key));
  step.set_best_effort(best_effort);
  return step;
}

// Points parent/name at `entry` if it now points at expected_ino (0: the name is absent).
proto::IntentStep PointStep(uint64_t parent, const std::string& name, uint64_t ino, uint32_t type,
                            uint64_t expected_ino) {
  proto::InsertDentryRequest insert;
  insert.set_parent(parent);
  insert.set_name(name);
  insert.mutable_entry()->set_ino(ino);
  insert.mutable_entry()->set_type(type);
  insert.set_expected_ino(expected_ino);
  return MakeStep(proto::OP_INSERT_DENTRY, insert, DentryPlacementKey(parent, name));
}

// Removes parent/name if it points at expected_ino (0: whatever it points at).
proto::RemoveDentryRequest RemoveRequest(uint64_t parent, const std::string& name,
                                         uint64_t expected_ino) {
  proto::RemoveDentryRequest remove;
  remove.set_parent(parent);
  remove.set_name(name);
  remove.set_expected_ino(expected_ino);
  return remove;
}

proto::IntentStep RemoveStep(const proto::RemoveDentryRequest& remove) {
  return MakeStep(proto::OP_REMOVE_DENTRY, remove,
                  DentryPlacementKey(remove.parent(), remove.name()));
}

// The inode's links are the caller's.
proto::IntentStep RemoveStep(uint64_t parent, const std::string& name, uint64_t expected_ino) {
  return RemoveStep(RemoveRequest(parent, name, expected_ino));
}

proto::IntentStep SetAttrStep(const proto::SetAttrRequest& request, bool best_effort) {
  return MakeStep(proto::OP_SET_ATTR, request, InodePlacementKey(request.ino()), best_effort);
}

// Adds a step and the step that undoes it (none by default).
void AddStep(proto::Intent* intent, proto::IntentStep step, proto::IntentStep undo = {}) {
  *intent->add_steps() = std::move(step);
  *intent->add_undo() = std::move(undo);
}

}  // namespace

// One request: the head of coordinator_key runs every step or none (server/intents.h). A
// failed step comes back as its status; reply->failed_step() says which.
Status Client::RunIntent(const std::string& coordinator_key, const proto::Intent& intent,
                         proto::RunIntentReply* reply) {
  touches_.Flush();  // an intent's own touch of a directory must not be overtaken by an older one
  proto::RunIntentRequest request;
  request.set_coordinator_key(coordinator_key);
  *request.mutable_intent() = intent;
  Status status = cluster_.CallHome(coordinator_key, proto::OP_RUN_INTENT, request).Decode(reply);
  // The directories it changed (link counts, times) are read afresh next time, whatever came of
  // it.
  for (const proto::IntentStep& step : intent.steps()) {
    proto::SetAttrRequest changed;
    if (step.op() == proto::OP_SET_ATTR && changed.ParseFromString(step.message())) {
      dir_cache_.EraseAttr(changed.ino());
    }
  }
  if (!status.ok()) return status;
  if (reply->step_replies_size() == intent.steps_size()) return Status::Ok();
  return {reply->failed_code(), reply->failed_message()};
}

proto::Timespec Now() {
  struct timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  proto::Timespec out;
  out.set_sec(now.tv_sec);
  out.set_nsec(static_cast<uint32_t>(now.tv_nsec));
  return out;
}

Client::Client(const std::string& manager_address, const ClientOptions& options)
    : options_(options),
      cluster_(manager_address, options.timeouts),
      dir_cache_(options.dir_cache),
      recent_files_(options.dir_cache),
      capabilities_(options.dir_cache),
      touches_([this](const std::vector<proto::SetAttrRequest>& touches) { SendTouches(touches); }),
      deletes_([this](const std::vector<DeletedFile>& files) { SendDeletes(files); }),
      files_(options.max_open_files),
      write_behind_([this](const KeptWrites& writes) { return SendKept(writes); }),
      random_(std::random_device{}()) {}

Client::~Client() = default;

Status Client::Connect(const std::string& manager_address, const ClientOptions& options,
                       std::unique_ptr<Client>* out) {
  std::unique_ptr<Client> client(new Client(manager_address, options));
  Status status = client->cluster_.Refresh();
  if (!status.ok()) return status;
  uint32_t chunk_size = client->cluster_.snapshot()->map.default_chunk_size();
  if (options.chunk_size != 0) chunk_size = options.chunk_size;
  if (chunk_size != 0) client->default_chunk_size_ = chunk_size;
  status = client->EnsureRoot();
  // The root's server being down fails only the calls that need it, not the connection: an
  // admin asks for the cluster's status exactly then.
  if (!status.ok() && !status.transient()) return status;
  *out = std::move(client);
  return Status::Ok();
}

// The root has no entry; its inode is made by the first client that finds it missing.
Status Client::EnsureRoot() {
  proto::InodeAttr attr;
  Status status = GetAttr(kRootIno, &attr);
  if (status.code() != proto::STATUS_NOT_FOUND) return status;
  proto::CreateRequest request;
  request.set_parent(0);
  *request.mutable_attr() = NewInodeAttr(S_IFDIR | 0755);
  request.mutable_attr()->set_ino(kRootIno);
  request.mutable_attr()->set_uid(0);
  request.mutable_attr()->set_gid(0);
  request.set_exclusive(true);
  RpcResult result = cluster_.CallHome(InodePlacementKey(kRootIno), proto::OP_CREATE, request);
  if (result.status.code() == proto::STATUS_EXISTS) return Status::Ok();
  return result.status;
}

proto::InodeAttr Client::NewInodeAttr(uint32_t mode) const {
  proto::InodeAttr attr;
  if ((mode & S_IFMT) != S_IFLNK) mode = (mode & S_IFMT) | (mode & 07777 & ~options_.umask);
  attr.set_mode(mode);
  attr.set_uid(options_.uid);
  attr.set_gid(options_.gid);
  attr.set_nlink(IsDir(mode) ? 2 : 1);
  proto::Timespec now = Now();
  *attr.mutable_atime() = now;
  *attr.mutable_mtime() = now;
  *attr.mutable_ctime() = now;
  attr.set_chunk_size(default_chunk_size_);
  return attr;
}

uint64_t Client::NewInodeIdFor(std::string_view entry_key) {
  auto snapshot = cluster_.snapshot();
  std::lock_guard lock(random_mutex_);
  return DrawInodePlacedWith(snapshot->placement, entry_key, [this] { return random_(); });
}

Status Client::GetAttr(uint64_t ino, proto::InodeAttr* attr) {
  Status kept_status = write_behind_.Send(ino);  // the size and mtime of writes kept here
  if (!kept_status.ok()) return kept_status;
  proto::GetAttrRequest request;
  request.set_ino(ino);
  const uint64_t read_after = dir_cache_.ChangesSoFar();
  RpcResult result = cluster_.CallHome(InodePlacementKey(ino), proto::OP_GET_ATTR, request);
  proto::GetAttrReply reply;
  Status status = result.Decode(&reply);
  if (!status.ok()) return status;
  *attr = std::move(*reply.mutable_attr());
  dir_cache_.InsertAttr(*attr, read_after);
  touches_.AddPendingTimes(ino, attr);
  return status;
}

Status Client::FillAttr(Resolved* resolved) {
  if (resolved->has_attr) return Status::Ok();
  Status status = GetAttr(resolved->ino, &resolved->attr);
  resolved->has_attr = status.ok();
  return status;
}

Status Client::SetAttr(const proto::SetAttrRequest& request, proto::SetAttrReply* reply) {
  touches_.FlushIfPending(request.ino());  // a pending touch must not land over this change
  // Nor a kept write (its mtime, its bytes past a new size).
  Status kept_status = write_behind_.Send(request.ino());
  if (!kept_status.ok()) return kept_status;
  RpcResult result =
      cluster_.CallHome(InodePlacementKey(request.ino()), proto::OP_SET_ATTR, request);
  dir_cache_.EraseAttr(request.ino());
  recent_files_.Erase(request.ino());
  proto::SetAttrReply ignored;
  return result.Decode(reply != nullptr ? reply : &ignored);
}

Status Client::Lookup(uint64_t parent, const std::string& name, Resolved* out) {
  proto::LookupRequest request;
  request.set_parent(parent);
  request.set_name(name);
  const uint64_t read_after = dir_cache_.ChangesSoFar();
  RpcResult result = cluster_.CallHome(DentryPlacementKey(parent, name), proto::OP_LOOKUP, request);
  proto::LookupReply reply;
  Status status = result.Decode(&reply);
  if (!status.ok()) return status;
  out->ino = reply.entry().ino();
  out->type = reply.entry().type();
  out->has_attr = reply.has_attr();
  if (out->has_attr) out->attr = std::move(*reply.mutable_attr());
  // The size and mtime of writes kept here are not in those attributes yet.
  if (out->has_attr && write_behind_.Holds(out->ino)) return GetAttr(out->ino, &out->attr);
  if (IsDir(out->type)) {
    dir_cache_.Insert(parent, name, out->ino);
    if (out->has_attr) {
      dir_cache_.InsertAttr(out->attr, read_after);
      touches_.AddPendingTimes(out->ino, &out->attr);
    }
  }
  return Status::Ok();
}

Status Client::Resolve(std::string_view path, bool follow_last, Resolved* out) {
  std::vector<std::string> components;
  Status status = SplitPath(path, &components);
  if (!status.ok()) return status;
  // A trailing slash asks for a directory, so a symlink there is followed even by lstat.
  const bool trailing_slash = path.size() > 1 && path.back() == '/';
  status = ResolveComponents(std::move(components), follow_last || trailing_slash, 0, nullptr, out);
  if (status.ok() && trailing_slash && !IsDir(out->type)) {
    return {proto::STATUS_NOT_DIR, "trailing slash on a non-directory"};
  }
  return status;
}

// Walks from the root. A symlink met on the way is replaced by its target and the walk starts
// again from the root with the rest of the path appended, so ".." always means the real parent.
Status Client::ResolveComponents(std::vector<std::string> components, bool follow_last, int depth,
                                 std::vector<uint64_t>* ancestors, Resolved* out, bool use_cache,
                                 bool cache_last) {
  std::vector<Resolved> stack;  // the directories walked through, root first
  bool used_cache = false;
  Resolved root;
  root.ino = kRootIno;
  root.type = S_IFDIR;
  stack.push_back(root);
  for (std::size_t i = 0; i < components.size(); ++i) {
    const std::string& name = components[i];
    if (!IsDir(stack.back().type)) return {proto::STATUS_NOT_DIR, "not a directory: " + name};
    if (name == ".") continue;
    if (name == "..") {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    bool last = i + 1 == components.size();
    Resolved next;
    if (std::optional<uint64_t> cached = use_cache && (!last || cache_last)
                                             ? dir_cache_.Find(stack.back().ino, name)
                                             : std::nullopt) {
      next.ino = *cached;
      next.type = S_IFDIR;
      next.cached_as = Resolved::CachedName{stack.back().ino, name};
      used_cache = true;
      stack.push_back(std::move(next));
      continue;
    }
    Status status = Lookup(stack.back().ino, name, &next);
    if (status.code() == proto::STATUS_NOT_FOUND && used_cache) {
      // A cached directory may be gone or renamed by another client: ask again all the way.
      return ResolveComponents(std::move(components), follow_last, depth, ancestors, out,
                               /*use_cache=*/false);
    }
    if (!status.ok()) return status;
    if (S_ISLNK(next.type) && (!last || follow_last)) {
      if (depth >= kMaxSymlinkDepth) return {proto::STATUS_LOOP, "too many symlinks"};
      status = FillAttr(&next);
      if (!status.ok()) return status;
      std::vector<std::string> target;
      std::string target_path = next.attr.symlink_target();
      if (target_path.empty() || target_path.front() != '/') {
        // Relative: from the directory holding the link. ".." components keep their meaning.
        std::string prefix;
        for (std::size_t j = 0; j < i; ++j) prefix += "/" + components[j];
        target_path = prefix + "/" + target_path;
      }
      status = SplitPath(target_path, &target);
      if (!status.ok()) return status;
      target.insert(target.end(), components.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                    components.end());
      return ResolveComponents(std::move(target), follow_last, depth + 1, ancestors, out, use_cache,
                               cache_last);
    }
    stack.push_back(std::move(next));
  }
  if (ancestors != nullptr) {
    ancestors->clear();
    for (std::size_t i = 0; i + 1 < stack.size(); ++i) ancestors->push_back(stack[i].ino);
  }
  *out = std::move(stack.back());
  return Status::Ok();
}

Status Client::ResolveParent(std::string_view path, ParentAndName* out, bool cache_parent) {
  std::vector<std::string> components;
  Status status = SplitPath(path, &components);
  if (!status.ok()) return status;
  out->name.clear();
  if (components.empty()) return {proto::STATUS_EXISTS, "the root"};
  if (components.back() == "." || components.back() == "..") {
    // Names a directory that exists once the path resolves, like the root; out->name tells
    // the caller which.
    out->name = components.back();
    status = ResolveComponents(std::move(components), true, 0, &out->ancestors, &out->parent);
    return status.ok() ? Status(proto::STATUS_EXISTS, "path ends in '" + out->name + "'") : status;
  }
  out->name = std::move(components.back());
  components.pop_back();
  status = ResolveComponents(std::move(components), true, 0, &out->ancestors, &out->parent,
                             /*use_cache=*/true, cache_parent);
  if (!status.ok()) return status;
  if (!IsDir(out->parent.type)) return {proto::STATUS_NOT_DIR, "parent is not a directory"};
  out->ancestors.push_back(out->parent.ino);
  return Status::Ok();
}

Status Client::CheckPermission(const proto::InodeAttr& attr, int access_mode) const {
  if (access_mode == F_OK) return Status::Ok();
  uint32_t mode = attr.mode();
  if (options_.uid == 0) {
    // Root reads and writes anything, and executes what anyone may execute.
    if ((access_mode & X_OK) != 0 && !IsDir(mode) && (mode & 0111) == 0) {
      return {proto::STATUS_PERMISSION, "no execute bit"};
    }
    return Status::Ok();
  }
  uint32_t bits = 0;
  if (attr.uid() == options_.uid) {
    bits = (mode >> 6) & 7;
  } else if (attr.gid() == options_.gid) {
    bits = (mode >> 3) & 7;
  } else {
    bits = mode & 7;
  }
  if ((static_cast<uint32_t>(access_mode) & 7 & ~bits) != 0) {
    return {proto::STATUS_PERMISSION, "permission denied"};
  }
  return Status::Ok();
}

Status Client::CreateEntry(const ParentAndName& where, proto::InodeAttr attr, bool exclusive,
                           proto::CreateReply* reply) {
  Status status = CheckName(where.name);
  if (!status.ok()) return status;
  if (IsDir(attr.mode())) return CreateDirectory(where, std::move(attr), reply);
  std::string key = DentryPlacementKey(where.parent.ino, where.name);
  proto::CreateRequest request;
  request.set_parent(where.parent.ino);
  request.set_name(where.name);
  request.set_exclusive(exclusive);
  // A parent taken from the directory cache may have been removed or renamed by another client
  // since: its name is looked up beside the create, at no round trip of its own, and a file made
  // in a directory no longer there is taken back (the caller looks the parent up again).
  proto::LookupRequest parent_request;
  std::optional<PendingCall> parent_check;
  if (const auto& cached = where.parent.cached_as) {
    parent_request.set_parent(cached->parent);
    parent_request.set_name(cached->name);
    parent_check = cluster_.StartHome(DentryPlacementKey(cached->parent, cached->name),
                                      proto::OP_LOOKUP, parent_request);
  }
  // Every attempt after a failure the cluster may mend goes under the first one's request id:
  // if the create was applied, the head answers with its reply whatever inode number is drawn.
  const uint64_t request_id = cluster_.NewRequestId();
  const auto deadline = std::chrono::steady_clock::now() + cluster_.timeouts().failover;
  for (int attempt = 0; attempt < kMaxCreateAttempts;) {
    attr.set_ino(NewInodeIdFor(key));
    if (attr.ino() == 0) {
      status = {proto::STATUS_UNREACHABLE, "no inode number fits the map"};
      break;
    }
    *request.mutable_attr() = attr;
    PendingCall call =
        cluster_.Start(cluster_.Home(key), proto::OP_CREATE, request, {}, request_id);
    RpcResult result = cluster_.Wait(call);
    status = result.Decode(reply);
    if (status.transient() && std::chrono::steady_clock::now() < deadline) {
      cluster_.BackOff(status);  // a new head may need another inode number
      continue;
    }
    ++attempt;
    if (status.code() != proto::STATUS_CONFLICT) break;  // else the id was taken: draw again
  }
  if (status.code() == proto::STATUS_CONFLICT) {
    status = {proto::STATUS_IO_ERROR, "could not find a free inode id"};
  }
  if (parent_check.has_value()) {
    proto::LookupReply parent;
    Status parent_status = cluster_.Finish(*parent_check).Decode(&parent);
    const bool moved = parent_status.code() == proto::STATUS_NOT_FOUND ||
                       (parent_status.ok() && parent.entry().ino() != where.parent.ino);
    if (status.ok() && moved) {
      dir_cache_.Erase(parent_request.parent(), parent_request.name());
      if (reply->created()) (void)RemoveEntry(where, reply->entry().ino(), true);
      return {proto::STATUS_NOT_FOUND, "the parent directory is gone"};
    }
  }
  if (!status.ok()) return status;
  if (reply->created()) TouchDirectory(where.parent.ino, attr.ctime());
  return Status::Ok();
}

// The directory and its parent's link count in one intent; its runner draws the inode number,
// so that the inode is placed with the entry in the map of the moment.
Status Client::CreateDirectory(const ParentAndName& where, proto::InodeAttr attr,
                               proto::CreateReply* reply) {
  const std::string key = DentryPlacementKey(where.parent.ino, where.name);
  proto::CreateRequest create;
  create.set_parent(where.parent.ino);
  create.set_name(where.name);
  create.set_exclusive(true);
  *create.mutable_attr() = std::move(attr);
  proto::IntentStep create_step = MakeStep(proto::OP_CREATE, create, key);
  create_step.set_draw_inode(true);
  proto::Intent intent;
  AddStep(&intent, std::move(create_step));
  AddStep(&intent, SetAttrStep(TouchRequest(where.parent.ino, 1), /*best_effort=*/true));
  Status status;
  for (int attempt = 0; attempt < kMaxCreateAttempts; ++attempt) {
    proto::RunIntentReply intent_reply;
    status = RunIntent(key, intent, &intent_reply);
    if (status.code() == proto::STATUS_CONFLICT) continue;  // the inode number was taken
    if (!status.ok()) return status;
    if (!reply->ParseFromString(intent_reply.step_replies(0))) {
      return {proto::STATUS_BAD_FRAME, "create reply of an intent"};
    }
    return Status::Ok();
  }
  return status;
}

void Client::TouchDirectory(uint64_t dir_ino, const proto::Timespec& when) {
  touches_.Touch(dir_ino, when);
  dir_cache_.RaiseTimes(dir_ino, when);
}

proto::SetAttrRequest Client::TouchRequest(uint64_t dir_ino, int nlink_delta) {
  proto::SetAttrRequest request;
  request.set_ino(dir_ino);
  proto::Timespec now = Now();
  *request.mutable_mtime() = now;
  *request.mutable_ctime() = now;
  request.set_nlink_delta(nlink_delta);
  return request;
}

void Client::SendTouches(const std::vector<proto::SetAttrRequest>& touches) {
  std::vector<PendingCall> calls;
  calls.reserve(touches.size());
  for (const proto::SetAttrRequest& touch : touches) {
    calls.push_back(cluster_.StartHome(InodePlacementKey(touch.ino()), proto::OP_SET_ATTR, touch));
  }
  for (PendingCall& call : calls) (void)cluster_.Finish(call);  // best effort, as in an intent
}

void Client::DeleteData(const proto::Dentry& entry, const proto::InodeAttr& last_attr) {
  if (!S_ISREG(entry.type()) || last_attr.size() == 0) return;
  deletes_.Add([&](std::vector<DeletedFile>& pending) {
    pending.push_back({entry.ino(), last_attr.size(), last_attr.chunk_size()});
  });
}

void Client::SendDeletes(const std::vector<DeletedFile>& files) {
  // A chunk past the size (a write whose size update failed) is left to the passes, which
  // reclaim the chunks of deleted inodes. A pending call points at its request, to send it
  // again: the requests live until the calls end.
  std::vector<proto::DeleteChunkRequest> requests;
  for (const DeletedFile& file : files) {
    const uint64_t chunk_size = file.chunk_size != 0 ? file.chunk_size : 1;
    const uint64_t chunks = (file.size - 1) / chunk_size + 1;
    if (chunks > kMostChunksDeletedOneByOne) {
      (void)TruncateChunks(file.ino, 0, file.chunk_size);
      continue;
    }
    for (uint64_t index = 0; index < chunks; ++index) {
      proto::DeleteChunkRequest& request = requests.emplace_back();
      request.set_ino(file.ino);
      request.set_index(index);
    }
  }
  std::vector<PendingCall> calls;
  calls.reserve(requests.size());
  for (const proto::DeleteChunkRequest& request : requests) {
    calls.push_back(cluster_.StartHome(ChunkPlacementKey(request.ino(), request.index()),
                                       proto::OP_DELETE_CHUNK, request));
  }
  for (PendingCall& call : calls) (void)cluster_.Finish(call);
}

// One request when the inode lives with its entry (the usual case): the entry goes and the
// link is dropped in one write; the parent's times and the data of a last link are then
// updated and deleted at once. An inode stored elsewhere (the file was renamed or linked from
// another directory) loses its entry and its link together, in one intent.
Status Client::RemoveEntry(const ParentAndName& where, uint64_t expected_ino,
                           bool reject_directory) {
  // Writes kept for the file reach it before it goes (a failure is reported at its close).
  (void)write_behind_.SendAll();
  proto::RemoveDentryRequest request = RemoveRequest(where.parent.ino, where.name, expected_ino);
  request.set_unlink_inode(true);
  request.set_only_with_inode(true);
  request.set_reject_directory(reject_directory);
  *request.mutable_ctime() = Now();
  const std::string entry_key = DentryPlacementKey(where.parent.ino, where.name);
  proto::RemoveDentryReply reply;
  Status status = cluster_.CallHome(entry_key, proto::OP_REMOVE_DENTRY, request).Decode(&reply);
  if (!status.ok()) return status;
  if (reply.inode_elsewhere()) return RemoveEntryAndLink(where, reply.entry(), request);
  TouchDirectory(where.parent.ino, request.ctime());
  if (reply.inode_removed()) DeleteData(reply.entry(), reply.attr());
  return Status::Ok();
}

Status Client::RemoveEntryAndLink(const ParentAndName& where, const proto::Dentry& entry,
                                  proto::RemoveDentryRequest remove) {
  remove.set_expected_ino(entry.ino());
  remove.set_unlink_inode(false);
  remove.set_only_with_inode(false);
  proto::SetAttrRequest drop;
  drop.set_ino(entry.ino());
  drop.set_nlink_delta(-1);
  *drop.mutable_ctime() = Now();
  proto::Intent intent;
  AddStep(&intent, RemoveStep(remove));
  constexpr int kDropStep = 1;
  AddStep(&intent, SetAttrStep(drop, /*best_effort=*/true));  // gone already: nothing to drop
  AddStep(&intent, SetAttrStep(TouchRequest(where.parent.ino, 0), /*best_effort=*/true));
  proto::RunIntentReply reply;
  Status status = RunIntent(DentryPlacementKey(where.parent.ino, where.name), intent, &reply);
  if (status.code() == proto::STATUS_CONFLICT) return Status::NotFound();  // replaced meanwhile
  if (!status.ok()) return status;
  DeleteDataOfDropped(entry, reply.step_replies(kDropStep));
  return Status::Ok();
}

void Client::DeleteDataOfDropped(const proto::Dentry& entry, const std::string& drop_reply) {
  proto::SetAttrReply dropped;
  if (dropped.ParseFromString(drop_reply) && dropped.removed()) DeleteData(entry, dropped.attr());
}

Status Client::CheckEmptyDirectory(uint64_t ino) {
  proto::ReadDirRequest request;
  request.set_parent(ino);
  request.set_limit(1);
  std::vector<RpcResult> results;
  Status status = cluster_.CallEveryServer(proto::OP_READ_DIR, request, &results,
                                           [&](uint64_t epoch) { request.set_epoch(epoch); });
  if (!status.ok()) return status;
  for (const auto& result : results) {
    proto::ReadDirReply reply;
    status = result.Decode(&reply);
    if (!status.ok()) return status;
    if (reply.entries_size() > 0) return {proto::STATUS_NOT_EMPTY, "directory not empty"};
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------

Status Client::Stat(std::string_view path, bool follow, proto::InodeAttr* attr) {
  Resolved resolved;
  Status status = Resolve(path, follow, &resolved);
  if (status.ok()) status = FillAttr(&resolved);
  if (status.ok()) *attr = std::move(resolved.attr);
  return status;
}

Status Client::Mkdir(std::string_view path, uint32_t mode) {
  ParentAndName where;
  Status status = ResolveParent(path, &where);
  if (!status.ok()) return status;
  proto::CreateReply reply;
  return CreateEntry(where, NewInodeAttr(S_IFDIR | (mode & 07777)), true, &reply);
}

Status Client::Mknod(std::string_view path, uint32_t mode, uint64_t rdev) {
  const uint32_t type = mode & S_IFMT;
  if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR &&
      type != S_IFBLK) {
    return Status::Invalid("mknod of a directory, symlink or unknown type");
  }
  ParentAndName where;
  Status status = ResolveParent(path, &where);
  if (!status.ok()) return status;
  proto::InodeAttr attr = NewInodeAttr(type | (mode & 07777));
  if (type == S_IFCHR || type == S_IFBLK) attr.set_rdev(rdev);
  proto::CreateReply reply;
  return CreateEntry(where, std::move(attr), true, &reply);
}

Status Client::Rmdir(std::string_view path) {
  std::string_view trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
  ParentAndName where;
  Status status = ResolveParent(trimmed, &where);
  if (status.code() == proto::STATUS_EXISTS) {
    if (where.name == ".") return Status::Invalid("rmdir of '.'");
    if (where.name == "..") return {proto::STATUS_NOT_EMPTY, "rmdir of '..'"};
    return {proto::STATUS_BUSY, "the root"};
  }
  if (!status.ok()) return status;
  return RemoveDirectory(where);
}

Status Client::RemoveDirectory(const ParentAndName& where) {
  Resolved target;
  Status status = Lookup(where.parent.ino, where.name, &target);
  if (!status.ok()) return status;
  if (!IsDir(target.type)) return {proto::STATUS_NOT_DIR, "not a directory"};
  status = CheckEmptyDirectory(target.ino);
  if (!status.ok()) return status;
  // The entry, the directory's inode and the parent's link count change in one intent. The
  // entry's head drops the inode in the same write when it holds it (it was made there); one
  // that was renamed from elsewhere is dropped by the second step, which finds nothing to drop
  // otherwise.
  status = FillAttr(&target);
  if (!status.ok()) return status;
  proto::RemoveDentryRequest remove = RemoveRequest(where.parent.ino, where.name, target.ino);
  remove.set_unlink_inode(true);
  *remove.mutable_ctime() = Now();
  proto::SetAttrRequest drop;
  drop.set_ino(target.ino);
  drop.set_nlink_delta(-static_cast<int32_t>(target.attr.nlink()));
  proto::Intent intent;
  AddStep(&intent, RemoveStep(remove));
  AddStep(&intent, SetAttrStep(drop, /*best_effort=*/true));
  AddStep(&intent, SetAttrStep(TouchRequest(where.parent.ino, -1), /*best_effort=*/true));
  proto::RunIntentReply reply;
  status = RunIntent(DentryPlacementKey(where.parent.ino, where.name), intent, &reply);
  dir_cache_.Erase(where.parent.ino, where.name);
  return status;
}

Status Client::Unlink(std::string_view path) {
  // The parent comes from the directory cache where fresh: a name not found in a cached parent
  // is looked for again in the parent looked up afresh.
  Status status;
  for (bool cache_parent : {true, false}) {
    ParentAndName where;
    status = ResolveParent(path, &where, cache_parent);
    if (status.code() == proto::STATUS_EXISTS) return {proto::STATUS_IS_DIR, "names a directory"};
    if (!status.ok()) return status;
    if (path.back() == '/') {
      // "file/" names a directory or nothing.
      Resolved target;
      status = Lookup(where.parent.ino, where.name, &target);
      if (status.ok()) {
        if (IsDir(target.type)) return {proto::STATUS_IS_DIR, "is a directory"};
        return {proto::STATUS_NOT_DIR, "trailing slash on a non-directory"};
      }
    } else {
      status = RemoveEntry(where, 0, true);
    }
    if (status.code() != proto::STATUS_NOT_FOUND || !where.parent.cached_as.has_value()) break;
  }
  return status;
}

// Rename is: insert the new entry (compare-and-set against what was there), then remove the old
// one (compare-and-set against the inode moved), then drop the link of a replaced inode. Each
// step names the inode it expects, so a concurrent change of either name makes the rename start
// over instead of losing an entry.
Status Client::Rename(std::string_view from, std::string_view to, unsigned flags) {
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0 ||
      flags == (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
    return Status::Invalid("rename flags");
  }
  for (int attempt = 0; attempt < kMaxRenameAttempts; ++attempt) {
    ParentAndName source;
    ParentAndName target;
    Status status = ResolveParent(from, &source);
    if (status.code() == proto::STATUS_EXISTS) return {proto::STATUS_BUSY, "the root, . or .."};
    if (!status.ok()) return status;
    status = ResolveParent(to, &target);
    if (status.code() == proto::STATUS_EXISTS) return {proto::STATUS_BUSY, "the root, . or .."};
    if (!status.ok()) return status;
    status = RenameOnce(source, target, flags, from.back() == '/' || to.back() == '/');
    if (status.code() != proto::STATUS_CONFLICT) return status;
  }
  return {proto::STATUS_CONFLICT, "rename kept racing with other changes"};
}

Status Client::RenameOnce(const ParentAndName& source, const ParentAndName& target, unsigned flags,
                          bool want_dir) {
  (void)write_behind_.SendAll();  // as RemoveEntry: a replaced file may have writes kept
  // Whatever happens, neither name is taken from the cache afterwards.
  struct ForgetNames {
    DirCache& cache;
    const ParentAndName& source;
    const ParentAndName& target;
    ~ForgetNames() {
      cache.Erase(source.parent.ino, source.name);
      cache.Erase(target.parent.ino, target.name);
    }
  } forget{dir_cache_, source, target};
  Status status = CheckName(target.name);
  if (!status.ok()) return status;
  Resolved moved;
  status = Lookup(source.parent.ino, source.name, &moved);
  if (!status.ok()) return status;
  bool moved_is_dir = IsDir(moved.type);
  if (want_dir && !moved_is_dir) {
    return {proto::STATUS_NOT_DIR, "trailing slash on a non-directory"};
  }
  auto is_ancestor = [](const ParentAndName& where, uint64_t ino) {
    return std::find(where.ancestors.begin(), where.ancestors.end(), ino) != where.ancestors.end();
  };
  if (moved_is_dir && is_ancestor(target, moved.ino)) {
    return Status::Invalid("cannot move a directory into itself");
  }
  Resolved replaced;
  status = Lookup(target.parent.ino, target.name, &replaced);
  bool replacing = status.ok();
  if (!replacing && status.code() != proto::STATUS_NOT_FOUND) return status;
  if ((flags & RENAME_EXCHANGE) != 0) {
    if (!replacing) return status;  // both names must exist
    if (replaced.ino == moved.ino) return Status::Ok();
    if (IsDir(replaced.type) && is_ancestor(source, replaced.ino)) {
      return Status::Invalid("cannot move a directory into itself");
    }
    return ExchangeOnce(source, moved, target, replaced);
  }
  if (replacing && (flags & RENAME_NOREPLACE) != 0) return Status::Exists("target exists");
  if (replacing) {
    if (replaced.ino == moved.ino) return Status::Ok();  // two names of one file
    if (moved_is_dir && !IsDir(replaced.type)) return {proto::STATUS_NOT_DIR, "not a dir"};
    if (!moved_is_dir && IsDir(replaced.type)) return {proto::STATUS_IS_DIR, "is a dir"};
    if (IsDir(replaced.type)) {
      status = CheckEmptyDirectory(replaced.ino);
      if (!status.ok()) return status;
    }
  }
  // A replaced directory loses every link it has, anything else one.
  int replaced_links = 1;
  if (replacing && IsDir(replaced.type)) {
    proto::InodeAttr attr;
    status = GetAttr(replaced.ino, &attr);
    if (!status.ok()) return status;
    replaced_links = static_cast<int>(attr.nlink());
  }
  // The new name first, then the old one goes: an intent runs both or neither.
  proto::Intent intent;
  AddStep(&intent,
          PointStep(target.parent.ino, target.name, moved.ino, moved.type,
                    replacing ? replaced.ino : 0),
          replacing
              ? PointStep(target.parent.ino, target.name, replaced.ino, replaced.type, moved.ino)
              : RemoveStep(target.parent.ino, target.name, moved.ino));
  AddStep(&intent, RemoveStep(source.parent.ino, source.name, moved.ino));
  constexpr int kDropStep = 2;
  if (replacing) {
    proto::SetAttrRequest drop;
    drop.set_ino(replaced.ino);
    drop.set_nlink_delta(-replaced_links);
    *drop.mutable_ctime() = Now();
    AddStep(&intent, SetAttrStep(drop, /*best_effort=*/true));  // gone already: nothing to drop
  }
  // Link counts of the parents change when a directory changes parent or one is replaced.
  const bool changes_parent = source.parent.ino != target.parent.ino;
  const int source_delta = moved_is_dir && changes_parent ? -1 : 0;
  const int target_delta =
      (moved_is_dir && changes_parent ? 1 : 0) - (replacing && IsDir(replaced.type) ? 1 : 0);
  AddStep(&intent, SetAttrStep(TouchRequest(source.parent.ino, source_delta), true));
  if (changes_parent || target_delta != 0) {
    AddStep(&intent, SetAttrStep(TouchRequest(target.parent.ino, target_delta), true));
  }
  proto::SetAttrRequest touch_moved;
  touch_moved.set_ino(moved.ino);
  *touch_moved.mutable_ctime() = Now();
  AddStep(&intent, SetAttrStep(touch_moved, true));

  proto::RunIntentReply reply;
  status = RunIntent(DentryPlacementKey(source.parent.ino, source.name), intent, &reply);
  if (status.code() == proto::STATUS_EXISTS || status.code() == proto::STATUS_NOT_FOUND) {
    return {proto::STATUS_CONFLICT, "changed meanwhile"};  // start over
  }
  if (!status.ok()) return status;
  if (replacing) {
    proto::Dentry old_entry;
    old_entry.set_ino(replaced.ino);
    old_entry.set_type(replaced.type);
    // Best effort: chunks left by a client that dies here are reclaimed by the servers' passes.
    DeleteDataOfDropped(old_entry, reply.step_replies(kDropStep));
  }
  return Status::Ok();
}

// Points each name at the other's inode, each step a compare-and-set, in one intent: when the
// second step loses a race the first is undone, and the caller starts over.
Status Client::ExchangeOnce(const ParentAndName& source, const Resolved& a,
                            const ParentAndName& target, const Resolved& b) {
  proto::Intent intent;
  AddStep(&intent, PointStep(target.parent.ino, target.name, a.ino, a.type, b.ino),
          PointStep(target.parent.ino, target.name, b.ino, b.type, a.ino));
  AddStep(&intent, PointStep(source.parent.ino, source.name, b.ino, b.type, a.ino));
  // A directory that changes parent takes its ".." link along.
  const bool changes_parent = source.parent.ino != target.parent.ino;
  const int into_target =
      changes_parent && IsDir(a.type) != IsDir(b.type) ? (IsDir(a.type) ? 1 : -1) : 0;
  AddStep(&intent, SetAttrStep(TouchRequest(source.parent.ino, -into_target), true));
  if (changes_parent) {
    AddStep(&intent, SetAttrStep(TouchRequest(target.parent.ino, into_target), true));
  }
  for (uint64_t ino : {a.ino, b.ino}) {
    proto::SetAttrRequest touch;
    touch.set_ino(ino);
    *touch.mutable_ctime() = Now();
    AddStep(&intent, SetAttrStep(touch, true));
  }
  proto::RunIntentReply reply;
  Status status = RunIntent(DentryPlacementKey(source.parent.ino, source.name), intent, &reply);
  if (status.code() == proto::STATUS_EXISTS || status.code() == proto::STATUS_NOT_FOUND) {
    return {proto::STATUS_CONFLICT, "changed meanwhile"};
  }
  return status;
}

Status Client::Link(std::string_view existing, std::string_view new_path) {
  Resolved source;
  Status status = Resolve(existing, false, &source);
  if (!status.ok()) return status;
  // As Linux: the new path is resolved before the type of the old one is judged.
  ParentAndName where;
  status = ResolveParent(new_path, &where);
  if (!status.ok()) return status;
  if (IsDir(source.type)) {
    Resolved existing_target;
    status = Lookup(where.parent.ino, where.name, &existing_target);
    if (status.ok()) return Status::Exists("link target exists");
    return {proto::STATUS_NOT_PERMITTED, "hard link to a directory"};
  }
  return AddLink(source, where);
}

Status Client::AddLink(const Resolved& source, const ParentAndName& where) {
  Status status = CheckName(where.name);
  if (!status.ok()) return status;
  // The link count goes up, then the entry appears, in one intent: both or neither.
  proto::SetAttrRequest count;
  count.set_ino(source.ino);
  count.set_nlink_delta(1);
  *count.mutable_ctime() = Now();
  proto::SetAttrRequest uncount = count;
  uncount.set_nlink_delta(-1);
  proto::Intent intent;
  AddStep(&intent, SetAttrStep(count, false), SetAttrStep(uncount, false));
  AddStep(&intent, PointStep(where.parent.ino, where.name, source.ino, source.type, 0));
  AddStep(&intent, SetAttrStep(TouchRequest(where.parent.ino, 0), true));
  proto::RunIntentReply reply;
  status = RunIntent(DentryPlacementKey(where.parent.ino, where.name), intent, &reply);
  if (status.code() == proto::STATUS_CONFLICT) return Status::Exists("link target exists");
  return status;
}

Status Client::Symlink(std::string_view target, std::string_view link_path) {
  if (target.empty()) return {proto::STATUS_NOT_FOUND, "empty symlink target"};
  if (target.size() >= kMaxPathLength) return {proto::STATUS_NAME_TOO_LONG, "target too long"};
  ParentAndName where;
  Status status = ResolveParent(link_path, &where);
  if (!status.ok()) return status;
  proto::InodeAttr attr = NewInodeAttr(S_IFLNK | 0777);
  attr.set_symlink_target(std::string(target));
  attr.set_size(target.size());
  proto::CreateReply reply;
  return CreateEntry(where, std::move(attr), true, &reply);
}

Status Client::Readlink(std::string_view path, std::string* target) {
  proto::InodeAttr attr;
  Status status = Stat(path, false, &attr);
  if (!status.ok()) return status;
  if (!S_ISLNK(attr.mode())) return Status::Invalid("not a symlink");
  *target = attr.symlink_target();
  return Status::Ok();
}

Status Client::Chmod(std::string_view path, uint32_t mode) {
  Resolved resolved;
  Status status = Resolve(path, true, &resolved);
  if (status.ok()) status = FillAttr(&resolved);
  if (!status.ok()) return status;
  if (options_.uid != 0 && options_.uid != resolved.attr.uid()) {
    return {proto::STATUS_NOT_PERMITTED, "not the owner"};
  }
  proto::SetAttrRequest request;
  request.set_ino(resolved.ino);
  request.set_mode(mode & 07777);
  *request.mutable_ctime() = Now();
  return SetAttr(request, nullptr);
}

Status Client::Chown(std::string_view path, uint32_t uid, uint32_t gid) {
  Resolved resolved;
  Status status = Resolve(path, true, &resolved);
  if (status.ok()) status = FillAttr(&resolved);
  if (!status.ok()) return status;
  constexpr auto kKeep = static_cast<uint32_t>(-1);
  if (options_.uid != 0 &&
      ((uid != kKeep && uid != resolved.attr.uid()) || options_.uid != resolved.attr.uid())) {
    return {proto::STATUS_NOT_PERMITTED, "only root may give a file away"};
  }
  proto::SetAttrRequest request;
  request.set_ino(resolved.ino);
  if (uid != kKeep) request.set_uid(uid);
  if (gid != kKeep) request.set_gid(gid);
  *request.mutable_ctime() = Now();
  return SetAttr(request, nullptr);
}

Status Client::Utimens(std::string_view path, const struct timespec* times) {
  Resolved resolved;
  Status status = Resolve(path, true, &resolved);
  if (!status.ok()) return status;
  proto::Timespec now = Now();
  proto::SetAttrRequest request;
  request.set_ino(resolved.ino);
  for (int i = 0; i < 2; ++i) {
    proto::Timespec value = now;
    if (times != nullptr) {
      if (times[i].tv_nsec == UTIME_OMIT) continue;
      if (times[i].tv_nsec != UTIME_NOW) {
        if (times[i].tv_nsec < 0 || times[i].tv_nsec >= 1000000000) {
          return Status::Invalid("nanoseconds out of range");
        }
        value.set_sec(times[i].tv_sec);
        value.set_nsec(static_cast<uint32_t>(times[i].tv_nsec));
      }
    }
    if (i == 0) {
      *request.mutable_atime() = value;
    } else {
      *request.mutable_mtime() = value;
    }
  }
  *request.mutable_ctime() = now;
  return SetAttr(request, nullptr);
}

Status Client::Access(std::string_view path, int mode) {
  if ((mode & ~(R_OK | W_OK | X_OK)) != 0) return Status::Invalid("bad access mode");
  proto::InodeAttr attr;
  Status status = Stat(path, true, &attr);
  if (!status.ok()) return status;
  return CheckPermission(attr, mode);
}

Status Client::Truncate(std::string_view path, uint64_t length) {
  Resolved resolved;
  Status status = Resolve(path, true, &resolved);
  if (status.ok()) status = FillAttr(&resolved);
  if (!status.ok()) return status;
  if (IsDir(resolved.attr.mode())) return {proto::STATUS_IS_DIR, "is a directory"};
  if (!S_ISREG(resolved.attr.mode())) return Status::Invalid("not a regular file");
  status = CheckPermission(resolved.attr, W_OK);
  if (!status.ok()) return status;
  return TruncateInode(resolved.ino, length);
}

Status Client::StatFs(struct statvfs* out) {
  deletes_.Flush();  // the space of files this client removed shows as free
  auto snapshot = cluster_.snapshot();
  proto::StatFsRequest request;
  std::vector<PendingCall> calls;
  for (const auto& server : snapshot->map.servers()) {
    if (server.state() != proto::SERVER_UP) continue;
    calls.push_back(cluster_.Start(server.id(), proto::OP_STAT_FS, request));
  }
  if (calls.empty()) return {proto::STATUS_UNREACHABLE, "no server is up"};
  uint64_t total = 0;
  uint64_t free_bytes = 0;
  uint64_t available = 0;
  uint64_t inodes = 0;
  for (auto& call : calls) {
    proto::StatFsReply reply;
    Status status = cluster_.Finish(call).Decode(&reply);
    if (!status.ok()) return status;
    total += reply.total_bytes();
    free_bytes += reply.free_bytes();
    available += reply.available_bytes();
    inodes += reply.inodes();
  }
  constexpr uint64_t kBlock = 4096;
  constexpr uint64_t kFreeInodes = 1ULL << 40;  // inodes are records, never preallocated
  *out = {};
  out->f_bsize = kBlock;
  out->f_frsize = kBlock;
  out->f_blocks = total / kBlock;
  out->f_bfree = free_bytes / kBlock;
  out->f_bavail = available / kBlock;
  inodes /= std::max<std::size_t>(1, snapshot->placement.replicas());  // each is counted per copy
  out->f_files = inodes + kFreeInodes;
  out->f_ffree = kFreeInodes;
  out->f_favail = kFreeInodes;
  out->f_fsid = 0x5EA1F5;
  out->f_namemax = kMaxNameLength;
  return Status::Ok();
}

Status Client::GetClusterStatus(uint64_t* epoch, std::vector<ServerStatus>* servers) {
  Status status = cluster_.Refresh();
  if (!status.ok()) return status;
  auto snapshot = cluster_.snapshot();
  *epoch = snapshot->map.epoch();
  proto::StatFsRequest request;
  std::vector<PendingCall> calls;
  for (const auto& server : snapshot->map.servers()) {
    calls.push_back(cluster_.Start(server.id(), proto::OP_STAT_FS, request));
  }
  servers->clear();
  for (int i = 0; i < snapshot->map.servers_size(); ++i) {
    ServerStatus& out = servers->emplace_back();
    out.info = snapshot->map.servers(i);
    // One attempt each, all at once: the status is wanted exactly while servers are down.
    out.status = cluster_.Wait(calls[static_cast<std::size_t>(i)]).Decode(&out.capacity);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Extended attributes live with the inode, on its home server.

namespace {
Status CheckXattrName(std::string_view name) {
  if (name.empty()) return Status::Invalid("empty attribute name");
  if (name.size() > kMaxNameLength) return {proto::STATUS_RANGE, "attribute name too long"};
  return Status::Ok();
}
}  // namespace

Status Client::SetXattr(std::string_view path, std::string_view name, std::string_view value,
                        int flags) {
  Resolved resolved;
  Status status = Resolve(path, true, &resolved);
  if (!status.ok()) return status;
  return SetXattr(resolved.ino, name, value, flags);
}

Status Client::SetXattr(uint64_t ino, std::string_view name, std::string_view value, int flags) {
  Status status = CheckXattrName(name);
  if (!status.ok()) return status;
  if (value.size() > kMaxXattrValue) return {proto::STATUS_RANGE, "attribute value too large"};
  if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) return Status::Invalid("bad flags");
  proto::SetXattrRequest request;
  request.set_ino(ino);
  request.set_name(std::string(name));
  request.set_flags(flags);
  status = cluster_.CallHome(InodePlacementKey(ino), proto::OP_SET_XATTR, request, value).status;
  capabilities_.Erase(ino);
  if (!status.ok()) return status;
  proto::SetAttrRequest touch;
  touch.set_ino(ino);
  *touch.mutable_ctime() = Now();
  return SetAttr(touch, nullptr);
}

Status Client::GetXattr(std::string_view path, std::string_view name, std::string* value) {
  Resolved resolved;
  Status status = Resolve(path, true, &resolved);
  if (!status.ok()) return status;
  return GetXattr(resolved.ino, name, value);
}

Status Client::GetXattr(uint64_t ino, std::string_view name, std::string* value) {
  Status status = CheckXattrName(name);
  if (!status.ok()) return status;
  const bool capability = name == kCapabilityXattr;
  if (capability) {
    if (std::optional<std::optional<std::string>> kept = capabilities_.Find(ino)) {
      if (!kept->has_value()) return {proto::STATUS_NO_DATA, "no such attribute"};
      *value = **kept;
      return Status::Ok();
    }
  }
  proto::GetXattrRequest request;
  request.set_ino(ino);
  request.set_name(std::string(name));
  const uint64_t read_after = capabilities_.ChangesSoFar();
  RpcResult result = cluster_.CallHome(InodePlacementKey(ino), proto::OP_GET_XATTR, request);
  const bool absent = result.status.code() == proto::STATUS_NO_DATA;
  if (result.status.ok()) *value = std::move(result.payload);
  if (capability && (result.status.ok() || absent)) {
    capabilities_.Insert(ino, absent ? std::nullopt : std::optional<std::string>(*value),
                         read_after);
  }
  return result.status;
}

Status Client::ListXattr(std::string_view path, std::vector<std::string>* names) {
  Resolved resolved;
  Status status = Resolve(path, true, &resolved);
  if (!status.ok()) return status;
  return ListXattr(resolved.ino, names);
}

Status Client::ListXattr(uint64_t ino, std::vector<std::string>* names) {
  proto::ListXattrRequest request;
  request.set_ino(ino);
  proto::ListXattrReply reply;
  Status status =
      cluster_.CallHome(InodePlacementKey(ino), proto::OP_LIST_XATTR, request).Decode(&reply);
  if (!status.ok()) return status;
  names->assign(reply.names().begin(), reply.names().end());
  return Status::Ok();
}

Status Client::RemoveXattr(std::string_view path, std::string_view name) {
  Resolved resolved;
  Status status = Resolve(path, true, &resolved);
  if (!status.ok()) return status;
  return RemoveXattr(resolved.ino, name);
}

Status Client::RemoveXattr(uint64_t ino, std::string_view name) {
  Status status = CheckXattrName(name);
  if (!status.ok()) return status;
  proto::RemoveXattrRequest request;
  request.set_ino(ino);
  request.set_name(std::string(name));
  RpcResult result = cluster_.CallHome(InodePlacementKey(ino), proto::OP_REMOVE_XATTR, request);
  capabilities_.Erase(ino);
  return result.status;
}

// ---------------------------------------------------------------------------------------------
// Directories: ".", "..", then every server's share, one page at a time.

Status Client::OpenDir(std::string_view path, std::unique_ptr<DirStream>* out) {
  std::vector<std::string> components;
  Status status = SplitPath(path, &components);
  if (!status.ok()) return status;
  std::vector<uint64_t> ancestors;
  Resolved dir;
  status = ResolveComponents(std::move(components), true, 0, &ancestors, &dir);
  if (!status.ok()) return status;
  if (!IsDir(dir.type)) return {proto::STATUS_NOT_DIR, "not a directory"};
  *out = NewDirStream(dir.ino, ancestors.empty() ? dir.ino : ancestors.back());
  return Status::Ok();
}

std::unique_ptr<DirStream> Client::NewDirStream(uint64_t ino, uint64_t parent_ino,
                                                bool with_attrs) {
  auto stream = std::make_unique<DirStream>();
  stream->client_ = this;
  stream->ino_ = ino;
  stream->parent_ino_ = parent_ino;
  stream->with_attrs_ = with_attrs;
  stream->deadline_ = std::chrono::steady_clock::now() + cluster_.timeouts().failover;
  stream->StartOver();
  return stream;
}

void DirStream::StartOver() {
  auto map = client_->cluster_.snapshot();
  epoch_ = map->epoch();
  servers_.clear();
  for (ServerId server : map->placement.servers()) {
    if (IsLive(map->placement.StateOf(server))) servers_.push_back(server);
  }
  every_group_served_ = map->every_group_served;
  server_index_ = 0;
  server_done_ = false;
  start_after_.clear();
  batch_.clear();
  batch_pos_ = 0;
}

bool DirStream::Next(Entry* entry, Status* status) {
  *status = Status::Ok();
  if (dots_emitted_ < 2) {
    entry->name = dots_emitted_ == 0 ? "." : "..";
    entry->ino = dots_emitted_ == 0 ? ino_ : parent_ino_;
    entry->type = S_IFDIR;
    ++dots_emitted_;
    return true;
  }
  constexpr uint32_t kPage = 1024;
  while (batch_pos_ >= batch_.size()) {
    if (server_done_) {
      ++server_index_;
      server_done_ = false;
      start_after_.clear();
    }
    if (server_index_ >= servers_.size()) return false;
    if (!every_group_served_) {  // a listing now could miss entries: wait for their copies
      *status = {proto::STATUS_UNREACHABLE, "entries whose every complete copy is down"};
      if (std::chrono::steady_clock::now() >= deadline_) return false;
      client_->cluster_.BackOff(*status);
      StartOver();
      continue;
    }
    proto::ReadDirRequest request;
    request.set_parent(ino_);
    request.set_start_after(start_after_);
    request.set_limit(kPage);
    request.set_epoch(epoch_);
    request.set_with_attrs(with_attrs_);
    proto::ReadDirReply reply;
    const uint64_t read_after = client_->dir_cache_.ChangesSoFar();
    PendingCall call =
        client_->cluster_.Start(servers_[server_index_], proto::OP_READ_DIR, request);
    *status = client_->cluster_.Wait(call).Decode(&reply);
    if (status->transient() && std::chrono::steady_clock::now() < deadline_) {
      client_->cluster_.BackOff(*status);
      restarted_ = true;
      StartOver();
      continue;
    }
    if (!status->ok()) return false;
    batch_.clear();
    batch_pos_ = 0;
    for (auto& item : *reply.mutable_entries()) {
      Entry& added = batch_.emplace_back(
          Entry{std::move(*item.mutable_name()), item.ino(), item.type(), std::nullopt});
      if (!item.has_attr()) continue;
      added.attr = std::move(*item.mutable_attr());
      if (!IsDir(added.type)) continue;
      client_->dir_cache_.InsertAttr(*added.attr, read_after);
      client_->touches_.AddPendingTimes(added.ino, &*added.attr);
    }
    std::string page_end = batch_.empty() ? std::string() : batch_.back().name;
    if (restarted_) {
      std::erase_if(batch_, [this](const Entry& e) { return returned_.contains(e.name); });
    }
    if (!page_end.empty()) {
      // Pages come in name order; one that does not move forward would repeat forever.
      if (page_end <= start_after_ && !start_after_.empty()) {
        *status = Status(proto::STATUS_IO_ERROR, "a directory page did not move forward");
        return false;
      }
      start_after_ = page_end;
    }
    server_done_ = !reply.more() || page_end.empty();
  }
  *entry = std::move(batch_[batch_pos_++]);
  returned_.insert(entry->name);
  return true;
}

}  // namespace sealfs::client
