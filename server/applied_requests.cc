#include "server/applied_requests.h"

namespace sealfs {

bool AppliedRequests::Contains(uint64_t request_id) const {
  std::lock_guard lock(mutex_);
  return ids_.contains(request_id);
}

void AppliedRequests::Add(uint64_t request_id, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  while (!by_age_.empty() &&
         (by_age_.size() >= kMaxIds || now - by_age_.front().first > kKeepFor)) {
    ids_.erase(by_age_.front().second);
    by_age_.pop_front();
  }
  if (ids_.insert(request_id).second) by_age_.emplace_back(now, request_id);
}

}  // namespace sealfs
