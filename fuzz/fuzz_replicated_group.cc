// Fuzzes what a follower does with a commit group read from etcd
// (Ledger::ApplyGroup, ledger/ledger_replica.cc): any bytes there may have
// been written by someone other than the leader. Invariant: a group whose
// entries or checkpoint are not exactly the leader's next group is refused
// (DATA_LOSS, or FAILED_PRECONDITION for one that does not start at the
// follower's size, or UNIMPLEMENTED for a key handover) and changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/replica_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  fuzz::ReplicaFixture& f = fuzz::ReplicaFixture::Get();
  v1::ReplicatedGroup group;
  if (!group.ParseFromArray(data, static_cast<int>(size))) return 0;
  const v1::ReplicatedGroup& real = f.groups().back();
  if (group.first_index() == real.first_index() && group.checkpoint() == real.checkpoint() &&
      group.entries_size() == real.entries_size() && group.openings().empty()) {
    bool same = true;
    for (int i = 0; i < group.entries_size(); ++i) same &= group.entries(i) == real.entries(i);
    if (same) return 0;  // the real group: applying it would change the fixture
  }
  const uint64_t before = f.follower().Size();
  const std::string checkpoint = f.follower().LatestCheckpoint().second;
  const absl::Status st = f.follower().ApplyGroup(group);
  if (st.ok()) fuzz::Fail("a group that is not the leader's was applied");
  if (st.code() != absl::StatusCode::kDataLoss &&
      st.code() != absl::StatusCode::kFailedPrecondition &&
      st.code() != absl::StatusCode::kUnimplemented) {
    fuzz::Fail("ApplyGroup: unexpected code " + st.ToString());
  }
  if (f.follower().Size() != before || f.follower().LatestCheckpoint().second != checkpoint) {
    fuzz::Fail("a refused group changed the follower");
  }
  return 0;
}
