#include "directory_touches.h"

#include <utility>

namespace sealfs::client {

bool Later(const proto::Timespec& a, const proto::Timespec& b) {
  return std::pair(a.sec(), a.nsec()) > std::pair(b.sec(), b.nsec());
}

void RaiseTimes(proto::InodeAttr* attr, const proto::Timespec& when) {
  if (Later(when, attr->mtime())) *attr->mutable_mtime() = when;
  if (Later(when, attr->ctime())) *attr->mutable_ctime() = when;
}

DirectoryTouches::DirectoryTouches(Send send)
    : batches_([send = std::move(send)](const Touches& touches) {
        std::vector<proto::SetAttrRequest> requests;
        requests.reserve(touches.size());
        for (const auto& [ino, when] : touches) {
          proto::SetAttrRequest& request = requests.emplace_back();
          request.set_ino(ino);
          *request.mutable_mtime() = when;
          *request.mutable_ctime() = when;
        }
        send(requests);
      }) {}

void DirectoryTouches::Touch(uint64_t dir_ino, const proto::Timespec& when) {
  batches_.Add([&](Touches& pending) {
    auto [it, added] = pending.try_emplace(dir_ino, when);
    if (!added && Later(when, it->second)) it->second = when;
  });
}

void DirectoryTouches::AddPendingTimes(uint64_t dir_ino, proto::InodeAttr* attr) {
  batches_.Inspect([&](const Touches& touches) {
    auto it = touches.find(dir_ino);
    if (it != touches.end()) RaiseTimes(attr, it->second);
  });
}

bool DirectoryTouches::FlushIfPending(uint64_t dir_ino) {
  return batches_.FlushIf([&](const Touches& touches) { return touches.contains(dir_ino); });
}

}  // namespace sealfs::client
