// Complete copies: which holders of each placement group hold every write acknowledged for it
// (docs/design.md, "Complete copies").
//
// The map marks, per server, the groups it holds but may lack acknowledged writes of
// (ServerInfo.lagging_groups) and the groups it holds although placement no longer ranks it
// among their copies (held_groups). A write of a group goes down its chain: its live complete
// holders first, the first of them the head, then its live lagging ones. So a write is
// acknowledged only once every live complete holder has it, and the rules below keep "complete"
// true of every unmarked holder:
//   - a complete holder that stops being live while another complete one stays live (and did
//     not just arrive) is marked lagging: writes go on without it;
//   - when no complete holder stays live, nobody writes the group and the marks stay as they
//     are: the last complete holders to stop are the ones that can serve it again (as 3FS keeps
//     a chain's last serving target, as Ceph waits for a placement group's last acting set);
//   - a holder that arrives (came back, restarted, joined) is lagging while another complete
//     holder is live: what it applied alone before it died is repaired from the others, never
//     pushed onto them;
//   - a server placement adds to a group's copies is lagging until caught up; a complete holder
//     placement removes keeps holding the group (held) until every copy placement gives it is
//     complete;
//   - a lagging holder is complete again once the group's head has finished a pass at or after
//     the last change of the group's chain (CaughtUp): the pass brought every record to the
//     head's version, and every write since went down a chain that holds it.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include "common/placement.h"
#include "sealfs.pb.h"

namespace sealfs::manager {

// Sets the marks of `next`, a change of `before`, by the rules above, from the marks of
// `before`; `arrived` are the servers that came back, restarted or joined in this change. Then each
// live server is UP when it lags in no group and SYNCING otherwise, and a LEAVING server that holds
// no group is OUT (their state_epoch is next's epoch when that changes their state).
void CarryCompleteCopies(const proto::ClusterMap& before, const std::set<uint64_t>& arrived,
                         proto::ClusterMap* next);

// The epoch at which each group's chain last changed. Kept in the manager's memory: after a
// restart every group counts as changed at the epoch the manager started with.
class ChainEpochs {
 public:
  void Reset(const proto::ClusterMap& map);
  // Records the chains that differ between the two maps (servers, order or lagging marks) as
  // changed at `after`'s epoch.
  void Update(const proto::ClusterMap& before, const proto::ClusterMap& after);
  [[nodiscard]] uint64_t since(uint32_t group) const;

 private:
  std::vector<uint64_t> since_;
  uint64_t reset_epoch_ = 0;
};

// Clears, in `next` (a copy of `map`, then the `before` of CarryCompleteCopies), the lagging marks
// of the live holders of each group whose head has finished a pass (`synced_epoch` of the head) at
// or after the last change of its chain. Returns the servers caught up in at least one group
// (empty: nothing changed).
std::set<uint64_t> MarkCaughtUp(const proto::ClusterMap& map, const ChainEpochs& chains,
                                const std::function<uint64_t(uint64_t server)>& synced_epoch,
                                proto::ClusterMap* next);

// True when some live server of `map` lags in a group: MarkCaughtUp has work.
bool AnyLiveLagging(const proto::ClusterMap& map);

}  // namespace sealfs::manager
