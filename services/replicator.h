// The replicated writer (docs/replication.md): one touchstoned replica of a
// log whose replica set agrees through etcd on who writes and on every commit
// group. etcd (Raft, leases, transactions, watches) decides; each replica's
// RocksDB stays its local store.
//
// etcd keys, under the prefix /touchstone/<origin>/:
//   leader          "<replica id>\n<address>", attached to the leader's lease;
//                   created only if absent (its create revision names the term)
//   head            the decimal size of the log the groups make
//   groups/<first>  a commit group (proto/replication.proto ReplicatedGroup),
//                   <first> its first index in 20 decimal digits
//   applied/<id>    the size replica <id> has applied, attached to that
//                   replica's own session lease (gone soon after it dies)
//
// Housekeeping: the leader deletes the groups every live replica has applied,
// keeping the newest keep_entries entries' groups for replicas that restart,
// and compacts etcd's history, so etcd holds a bounded window of the log
// whatever its size. A replica away longer than that finds a gap and waits,
// saying so (it must be seeded from a backup: docs/replication.md).
//
// The leader: the ledger hands each sealed group to Commit (its
// LedgerOptions::replicate), which writes it in one transaction conditioned on
// the leader key's create revision being this term's (fencing: a paused or
// partitioned former leader's transaction fails) and on head being the
// group's first index (no gap, no fork); the ledger writes the group locally
// and acknowledges its submissions only after etcd has committed it.
// Everyone else follows: a watch on `head` and `leader` wakes it, and it applies every
// group after its log's size through Ledger::ApplyGroup, which verifies the
// group completely first. A group that does not verify stops the replica
// (failure(), on_failure): it never serves a history it could not verify.
// When the leader key goes (the lease expired or was revoked), replicas
// campaign; the winner applies every group etcd holds before it writes.
#ifndef TOUCHSTONE_SERVICES_REPLICATOR_H_
#define TOUCHSTONE_SERVICES_REPLICATOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/ledger.h"
#include "proto/replication.pb.h"
#include "services/etcd_client.h"

namespace touchstone {

// The largest commit group Commit writes in one etcd transaction: under etcd's
// default request limit (--max-request-bytes, 1.5 MiB) with room for the keys.
inline constexpr size_t kMaxGroupRequestBytes = (3 << 19) - (64 << 10);

struct ReplicationOptions {
  // etcd members, "host:port" each; empty: not replicated. Default: empty
  std::vector<std::string> etcd;
  // This replica's name in the set (unique, stable across restarts). Required.
  std::string replica_id;
  // Where clients reach this replica ("host:port"), named in the leader key and
  // in followers' redirects. Default: the --listen host and the bound port
  std::string advertise;
  // The leader's etcd lease: a leader that cannot renew it for this long loses
  // the leadership. Default: 3 s
  int64_t lease_seconds = 3;
  // Longest one etcd call may take. Default: 2 s
  absl::Duration etcd_call_timeout = absl::Seconds(2);
  // Most bytes of records one commit group takes, well under etcd's default
  // request limit (1.5 MiB) with the entries' framing and the openings.
  // Default: 512 KiB
  size_t max_group_bytes = 512 << 10;
  // The leader keeps the groups of at least this many of the newest entries in
  // etcd (for replicas that restart) and deletes older ones once every live
  // replica has applied them; 0 keeps every group. Default: 10,000
  uint64_t keep_entries = 10000;
  // Called once, on the replicator's thread, when the replica stops (a group
  // did not verify, or one etcd holds could not be written here). Default: none
  std::function<void(const absl::Status&)> on_failure;
};

// Thread-safe.
class Replicator {
 public:
  // A replicator of the log `origin` through opts.etcd. INVALID_ARGUMENT if no
  // endpoint or replica id is given, or the lease is under 2 s.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Replicator>> Create(ReplicationOptions opts,
                                                                          std::string origin);
  // Stops (resigning if it leads).
  ~Replicator();

  // LedgerOptions::replicate: makes `group` durable in etcd if this replica
  // leads. OK once etcd committed it. UNAVAILABLE (nothing acknowledged; the
  // message names the leader if known) if this replica does not lead, lost
  // the leadership, or etcd did not confirm; this replica then stops leading
  // and applies whatever etcd holds before it writes again.
  [[nodiscard]] absl::Status Commit(const v1::ReplicatedGroup& group);

  // Starts following `ledger` (opened with LedgerOptions::replica and Commit
  // as its replicate); campaigns once `address` (where clients reach this
  // replica) is set. REQUIRES: called once; `ledger` outlives Stop().
  void Start(Ledger* ledger);
  void SetAddress(std::string address);
  // Stops the threads and, if leading, revokes the lease (another replica
  // leads at once). Idempotent.
  void Stop();

  bool leading() const { return leading_.load(); }
  // True once this replica has applied every group etcd held when it last
  // looked (it has caught up at least once since Start).
  bool caught_up() const { return caught_up_.load(); }
  // The leader as etcd last named it ("" if none known): id and address.
  std::pair<std::string, std::string> Leader() const;
  // Why the replica stopped; OK while it runs.
  absl::Status failure() const;
  const std::string& prefix() const { return prefix_; }

 private:
  Replicator(ReplicationOptions opts, std::unique_ptr<EtcdClient> etcd, std::string origin);
  void Run();
  void WatchLoop();
  // Applies every group etcd holds after the ledger's size. Errors of
  // ApplyGroup (DATA_LOSS: the group does not verify) or of etcd.
  [[nodiscard]] absl::Status CatchUp();
  // True if this replica became the leader (and holds every group).
  bool Campaign();
  // Renews the lease until it is lost or Stop().
  void Lead();
  void StepDown(absl::string_view why);
  // Reads the leader key into leader_.
  void ReadLeader();
  void Fail(const absl::Status& why);
  // Writes applied/<id> (this replica's size) under its session lease, renewing
  // or replacing the lease; at most once a second. Runner thread only.
  void ReportApplied();
  // The leader's housekeeping: deletes the groups every live replica applied
  // (beyond the newest keep_entries entries) and compacts etcd's history.
  void Housekeep();
  // The log size etcd's head names (0 if it has none).
  [[nodiscard]] absl::StatusOr<uint64_t> ReadHead() const;
  // A new leader whose log etcd knows nothing of (no head: etcd's data was lost,
  // or a single-node log became replicated): sets the head to its own size, in a
  // transaction fenced on its term. FAILED_PRECONDITION if a head appeared.
  [[nodiscard]] absl::Status Bootstrap();
  // Waits up to `timeout` for the watch to see a change (or Stop()).
  void WaitForChange(absl::Duration timeout);
  std::string GroupKey(uint64_t first_index) const;
  std::string NotLeader() const;

  const ReplicationOptions opts_;
  const std::unique_ptr<EtcdClient> etcd_;
  const std::string prefix_;
  const std::string leader_key_;
  const std::string head_key_;
  const std::string groups_prefix_;
  const std::string applied_key_;
  const std::string applied_prefix_;
  Ledger* ledger_ = nullptr;

  std::atomic<bool> leading_{false};
  std::atomic<bool> caught_up_{false};
  // This term's leader key create revision and lease (while leading_).
  std::atomic<int64_t> term_revision_{0};
  std::atomic<int64_t> lease_{0};
  // The first index of the newest group this replica committed or applied.
  std::atomic<uint64_t> last_group_first_{0};

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;  // watch events seen
  std::string address_ ABSL_GUARDED_BY(mu_);
  std::pair<std::string, std::string> leader_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<EtcdClient::Watch> watch_ ABSL_GUARDED_BY(mu_);

  // Runner thread only: the session lease of applied_key_, when it was last
  // written, the first index groups were deleted below, and the last compaction.
  int64_t session_lease_ = 0;
  absl::Time next_report_ = absl::InfinitePast();
  uint64_t deleted_below_ = 0;
  absl::Time last_compaction_ = absl::InfinitePast();
  absl::Time next_housekeeping_ = absl::InfinitePast();

  std::thread runner_;
  std::thread watcher_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_REPLICATOR_H_
