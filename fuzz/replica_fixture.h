// Replicated mode for fuzz_replicated_group and its seeds: a leader replica
// (ledger/ledger_replica.cc) with a fixed operator key and a fixed clock, whose
// groups (a genesis, then one registration a group) are byte-identical on
// every run, and a follower that has applied all but the last of them: the
// last is the one group ApplyGroup may accept next.
#ifndef TOUCHSTONE_FUZZ_REPLICA_FIXTURE_H_
#define TOUCHSTONE_FUZZ_REPLICA_FIXTURE_H_

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/fixture.h"
#include "ledger/ledger.h"
#include "proto/replication.pb.h"
#include "tests/test_util.h"

namespace touchstone::fuzz {

class ReplicaFixture {
 public:
  // The one fixture of the process (made on first use; dies if it cannot be made).
  static ReplicaFixture& Get() {
    static ReplicaFixture* f = new ReplicaFixture();
    return *f;
  }
  // Every group the leader handed over, in order.
  const std::vector<v1::ReplicatedGroup>& groups() const { return groups_; }
  // The follower: it holds every group but the last.
  Ledger& follower() { return *follower_; }

 private:
  ReplicaFixture() {
    const PrivateKey key = FixedKey("operator");
    leader_ = Open(MakeDir(), key, /*capture=*/true);
    if (!leader_->StartWriting().ok()) Fail("the leader cannot create its log");
    const testing::Identity op{"operator", key};
    for (const char* who : {"refiner-a", "refiner-b"}) {
      v1::Record r = testing::RegisterRecord(op, {who, FixedKey(who)}, v1::ROLE_REFINER,
                                             std::string("register-") + who);
      r.set_event_time_micros(kStartMicros + 1500);  // after the genesis (its clock: +1000)
      const auto [bytes, sig] = testing::Signed(op, r, kOrigin);
      OrDie(leader_->Submit(bytes, sig), "registration");
    }
    follower_ = Open(MakeDir(), key, /*capture=*/false);
    for (size_t i = 0; i + 1 < groups_.size(); ++i) {
      if (!follower_->ApplyGroup(groups_[i]).ok()) Fail("the follower refuses a real group");
    }
  }

  static std::string MakeDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "touchstone-fuzz-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) Fail("mkdtemp");
    return tmpl;
  }

  std::unique_ptr<Ledger> Open(const std::string& dir, const PrivateKey& key, bool capture) {
    if (!key.SavePemFile(dir + "/operator.pem").ok()) Fail("cannot write the operator key");
    LedgerOptions o;
    o.data_dir = dir;
    o.origin = kOrigin;
    o.replica = true;
    o.scrub_entries_per_second = 0;
    o.verify_threads = 1;
    o.group_linger = absl::ZeroDuration();
    o.now_micros = [t = kStartMicros]() mutable { return t += 1000; };
    if (capture) {
      o.replicate = [this](const v1::ReplicatedGroup& g) {
        groups_.push_back(g);
        return absl::OkStatus();
      };
    }
    return OrDie(Ledger::Open(std::move(o)), "open a replica");
  }

  std::vector<v1::ReplicatedGroup> groups_;
  std::unique_ptr<Ledger> leader_;
  std::unique_ptr<Ledger> follower_;
};

}  // namespace touchstone::fuzz

#endif  // TOUCHSTONE_FUZZ_REPLICA_FIXTURE_H_
