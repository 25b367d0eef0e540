// The replicated writer (services/replicator.h).
#include "services/replicator.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "ledger/base/status_macros.h"
#include "services/log.h"

namespace touchstone {
namespace {

using etcdserverpb::Compare;

Compare* AddCompare(etcdserverpb::TxnRequest& txn, const std::string& key,
                    Compare::CompareTarget target) {
  Compare* c = txn.add_compare();
  c->set_key(key);
  c->set_target(target);
  c->set_result(Compare::EQUAL);
  return c;
}

void AddPut(google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* ops, std::string key,
            std::string value, int64_t lease = 0) {
  etcdserverpb::PutRequest* put = ops->Add()->mutable_request_put();
  put->set_key(std::move(key));
  put->set_value(std::move(value));
  put->set_lease(lease);
}

// Whether an ApplyGroup error stops the replica: a group that does not verify
// (or one it cannot take), as opposed to a race or an etcd outage to retry.
bool StopsReplica(const absl::Status& s) {
  return s.code() == absl::StatusCode::kDataLoss || s.code() == absl::StatusCode::kUnimplemented;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Replicator>> Replicator::Create(ReplicationOptions opts,
                                                               std::string origin) {
  if (opts.etcd.empty()) return absl::InvalidArgumentError("replicated mode needs --etcd");
  if (opts.replica_id.empty() || opts.replica_id.find('\n') != std::string::npos) {
    return absl::InvalidArgumentError("replicated mode needs a --replica_id (one line)");
  }
  if (opts.lease_seconds < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("the leader's lease must be at least 2 s, not ", opts.lease_seconds));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<EtcdClient> etcd,
                   EtcdClient::Connect(opts.etcd, opts.etcd_call_timeout));
  return std::unique_ptr<Replicator>(
      new Replicator(std::move(opts), std::move(etcd), std::move(origin)));
}

Replicator::Replicator(ReplicationOptions opts, std::unique_ptr<EtcdClient> etcd,
                       std::string origin)
    : opts_(std::move(opts)),
      etcd_(std::move(etcd)),
      prefix_(absl::StrCat("/touchstone/", origin, "/")),
      leader_key_(prefix_ + "leader"),
      head_key_(prefix_ + "head"),
      groups_prefix_(prefix_ + "groups/"),
      applied_key_(prefix_ + "applied/" + opts_.replica_id),
      applied_prefix_(prefix_ + "applied/") {}

Replicator::~Replicator() { Stop(); }

std::string Replicator::GroupKey(uint64_t first_index) const {
  char digits[24];
  std::snprintf(digits, sizeof(digits), "%020" PRIu64, first_index);
  return groups_prefix_ + digits;
}

std::pair<std::string, std::string> Replicator::Leader() const {
  absl::MutexLock lock(&mu_);
  return leader_;
}

absl::Status Replicator::failure() const {
  absl::MutexLock lock(&mu_);
  return failure_;
}

std::string Replicator::NotLeader() const {
  auto [id, address] = Leader();
  if (id == opts_.replica_id) id.clear();  // a stale view of its own term
  return absl::StrCat("this replica (", opts_.replica_id, ") does not lead the replica set; ",
                      id.empty() ? "no leader is known yet: retry shortly"
                                 : absl::StrCat("submit to the leader, ", id, " at ", address));
}

absl::Status Replicator::Commit(const v1::ReplicatedGroup& group) {
  if (!leading_.load()) return absl::UnavailableError(NotLeader());
  const uint64_t first = group.first_index();
  if (group.ByteSizeLong() > kMaxGroupRequestBytes) {
    // Cannot happen with groups bounded by max_group_bytes; refused without
    // stepping down, so that it cannot make the replica set change leaders.
    return absl::ResourceExhaustedError(
        absl::StrCat("nothing was appended: the commit group at entry ", first, " is ",
                     group.ByteSizeLong(), " bytes, more than etcd takes in one request (",
                     kMaxGroupRequestBytes, "): submit fewer or smaller records at once"));
  }
  const uint64_t end = first + group.entries_size();
  etcdserverpb::TxnRequest txn;
  // Fencing: only this term's leader key admits the write...
  AddCompare(txn, leader_key_, Compare::CREATE)->set_create_revision(term_revision_.load());
  // ...and only as the next group after the last one (no gap, no fork).
  if (first == 0) {
    AddCompare(txn, head_key_, Compare::CREATE)->set_create_revision(0);
  } else {
    AddCompare(txn, head_key_, Compare::VALUE)->set_value(absl::StrCat(first));
  }
  AddPut(txn.mutable_success(), GroupKey(first), group.SerializeAsString());
  AddPut(txn.mutable_success(), head_key_, absl::StrCat(end));
  absl::StatusOr<etcdserverpb::TxnResponse> response = etcd_->Txn(txn);
  if (!response.ok()) {
    StepDown(response.status().message());
    return absl::UnavailableError(absl::StrCat(
        "nothing was acknowledged: etcd did not confirm the commit group at entry ", first, " (",
        response.status().message(),
        "); this replica stops leading until it holds what etcd holds: submit the same bytes "
        "again (to the leader) for the receipt"));
  }
  last_group_first_ = first;
  if (!response->succeeded()) {
    StepDown("etcd refused the group: the leadership or the head moved");
    return absl::UnavailableError(
        absl::StrCat("nothing was acknowledged: this replica (", opts_.replica_id,
                     ") no longer leads the replica set (etcd refused its commit group at entry ",
                     first, "): submit the same bytes again to the leader"));
  }
  return absl::OkStatus();
}

void Replicator::Start(Ledger* ledger) {
  ledger_ = ledger;
  Log(LogLevel::kInfo, "replica_following",
      absl::StrCat("replica ", opts_.replica_id, " holds ", ledger_->Size(),
                   " entries; following etcd at ", absl::StrJoin(opts_.etcd, ","), " (", prefix_,
                   ")"),
      {{"replica", opts_.replica_id}, {"size", ledger_->Size()}});
  watcher_ = std::thread([this] { WatchLoop(); });
  runner_ = std::thread([this] { Run(); });
}

void Replicator::SetAddress(std::string address) {
  absl::MutexLock lock(&mu_);
  address_ = std::move(address);
  ++changes_;
}

void Replicator::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    if (watch_) watch_->Cancel();
  }
  if (runner_.joinable()) runner_.join();
  if (watcher_.joinable()) watcher_.join();
  if (leading_.load()) StepDown("shutting down");
}

void Replicator::StepDown(absl::string_view why) {
  {
    // Never a redirect to itself once it stops leading.
    absl::MutexLock lock(&mu_);
    if (leader_.first == opts_.replica_id) leader_ = {};
  }
  if (!leading_.exchange(false)) return;
  const int64_t lease = lease_.exchange(0);
  // Revoking deletes the leader key at once, so another replica leads now
  // rather than when the lease would have expired. A lease that already
  // expired (a paused leader) is gone, and so is its key.
  if (lease != 0) (void)etcd_->RevokeLease(lease);
  ReadLeader();  // who leads now, for the redirects this replica answers with
  Log(LogLevel::kWarning, "leadership_lost",
      absl::StrCat("replica ", opts_.replica_id, " stops leading: ", why),
      {{"replica", opts_.replica_id}});
}

void Replicator::Fail(const absl::Status& why) {
  StepDown("the replica stopped");
  {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return;
    failure_ = why;
  }
  Log(LogLevel::kError, "replica_stopped",
      absl::StrCat("replica ", opts_.replica_id,
                   " stopped and serves nothing further: ", why.ToString()),
      {{"replica", opts_.replica_id}, {"code", absl::StatusCodeToString(why.code())}});
  if (opts_.on_failure) opts_.on_failure(why);
}

void Replicator::WatchLoop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    // Only `head` and `leader` (the keys between them sort after groups/): a wake-up
    // is all a follower needs, and it reads the groups once, so etcd never sends a
    // group's bytes to every watcher as well.
    absl::StatusOr<std::unique_ptr<EtcdClient::Watch>> watch =
        etcd_->StartWatch(head_key_, leader_key_ + std::string(1, '\0'), 0);
    if (!watch.ok()) {
      absl::SleepFor(absl::Milliseconds(200));
      continue;
    }
    EtcdClient::Watch* w = watch->get();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      watch_ = *std::move(watch);
      ++changes_;  // whatever happened before the watch started
    }
    while (w->Next().ok()) {
      absl::MutexLock lock(&mu_);
      ++changes_;
    }
    absl::MutexLock lock(&mu_);
    watch_.reset();
  }
}

void Replicator::WaitForChange(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const uint64_t seen = changes_;
  auto changed = [this, seen]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return changes_ != seen || stopping_; };
  mu_.AwaitWithTimeout(absl::Condition(&changed), timeout);
}

void Replicator::ReadLeader() {
  absl::StatusOr<etcdserverpb::RangeResponse> r = etcd_->Range(leader_key_, "");
  if (!r.ok()) return;
  std::pair<std::string, std::string> leader;
  if (!r->kvs().empty()) {
    std::vector<std::string> parts = absl::StrSplit(r->kvs(0).value(), absl::MaxSplits('\n', 1));
    leader.first = parts[0];
    if (parts.size() > 1) leader.second = parts[1];
  }
  absl::MutexLock lock(&mu_);
  leader_ = std::move(leader);
}

absl::Status Replicator::CatchUp() {
  for (;;) {
    ReportApplied();  // counted by the leader's housekeeping while it catches up
    const uint64_t size = ledger_->Size();
    // The head first: groups read after it reach at least as far. Every replica
    // writes a group after etcd holds it, so its size read before is never above
    // the head, unless it holds a log the replica set does not (etcd's head was
    // bootstrapped by a replica that held less): it must not serve that as this log.
    ASSIGN_OR_RETURN(const uint64_t head, ReadHead());
    if (head != 0 && head < size) {
      return absl::DataLossError(absl::StrCat(
          "this replica holds ", size, " entries, more than the replica set's log (etcd's head is ",
          head, "): its entries from ", head,
          " on are not the set's; restore it from a backup "
          "of the leader"));
    }
    ASSIGN_OR_RETURN(etcdserverpb::RangeResponse r,
                     etcd_->Range(GroupKey(size), EtcdPrefixEnd(groups_prefix_), /*limit=*/16));
    if (r.kvs().empty()) {
      if (head > size) {
        return absl::FailedPreconditionError(
            absl::StrCat("etcd no longer holds the groups from entry ", size, " to ", head,
                         ": this replica must catch up from another replica"));
      }
      return absl::OkStatus();
    }
    for (const mvccpb::KeyValue& kv : r.kvs()) {
      v1::ReplicatedGroup group;
      if (!group.ParseFromString(kv.value()) || kv.key() != GroupKey(group.first_index())) {
        return absl::DataLossError(
            absl::StrCat("etcd key ", kv.key(), " does not hold the commit group it names"));
      }
      if (group.first_index() > ledger_->Size()) {
        return absl::FailedPreconditionError(
            absl::StrCat("etcd no longer holds the groups from entry ", ledger_->Size(), " to ",
                         group.first_index(), ": this replica must catch up from another replica"));
      }
      RETURN_IF_ERROR(ledger_->ApplyGroup(group));
      last_group_first_ = group.first_index();
    }
  }
}

absl::StatusOr<uint64_t> Replicator::ReadHead() const {
  ASSIGN_OR_RETURN(etcdserverpb::RangeResponse r, etcd_->Range(head_key_, ""));
  uint64_t head = 0;
  if (!r.kvs().empty() && !absl::SimpleAtoi(r.kvs(0).value(), &head)) {
    return absl::DataLossError("etcd's head is not a number");
  }
  return head;
}

void Replicator::ReportApplied() {
  const absl::Time now = absl::Now();
  if (now < next_report_) return;
  next_report_ = now + absl::Seconds(1);
  if (session_lease_ != 0) {
    absl::StatusOr<int64_t> ttl = etcd_->KeepAlive(session_lease_);
    if (!ttl.ok() || *ttl <= 0) session_lease_ = 0;
  }
  if (session_lease_ == 0) {
    absl::StatusOr<int64_t> lease =
        etcd_->GrantLease(std::max<int64_t>(10, 3 * opts_.lease_seconds));
    if (!lease.ok()) return;
    session_lease_ = *lease;
  }
  etcdserverpb::TxnRequest txn;  // no condition: a plain put with the session lease
  AddPut(txn.mutable_success(), applied_key_, absl::StrCat(ledger_->Size()), session_lease_);
  (void)etcd_->Txn(txn);
}

void Replicator::Housekeep() {
  const uint64_t size = ledger_->Size();
  if (opts_.keep_entries == 0 || size <= opts_.keep_entries) return;
  if (absl::Now() < next_housekeeping_) return;
  next_housekeeping_ = absl::Now() + absl::Seconds(5);
  absl::StatusOr<etcdserverpb::RangeResponse> applied =
      etcd_->Range(applied_prefix_, EtcdPrefixEnd(applied_prefix_));
  if (!applied.ok() || applied->kvs().empty()) return;
  // Never the newest group: its first index is what a caught-up replica reads from.
  uint64_t below = std::min(size - opts_.keep_entries, last_group_first_.load());
  for (const mvccpb::KeyValue& kv : applied->kvs()) {
    uint64_t at = 0;
    if (!absl::SimpleAtoi(kv.value(), &at)) return;  // not ours to guess
    below = std::min(below, at);
  }
  if (below <= deleted_below_) return;
  absl::StatusOr<etcdserverpb::DeleteRangeResponse> deleted =
      etcd_->DeleteRange(groups_prefix_, GroupKey(below));
  if (!deleted.ok()) return;
  deleted_below_ = below;
  if (deleted->deleted() > 0 && absl::Now() - last_compaction_ >= absl::Seconds(5)) {
    // Deleted keys stay in etcd's history until it is compacted.
    if (etcd_->Compact(deleted->header().revision()).ok()) last_compaction_ = absl::Now();
  }
}

bool Replicator::Campaign() {
  absl::StatusOr<int64_t> lease = etcd_->GrantLease(opts_.lease_seconds);
  if (!lease.ok()) return false;
  std::string address;
  {
    absl::MutexLock lock(&mu_);
    address = address_;
  }
  etcdserverpb::TxnRequest txn;
  AddCompare(txn, leader_key_, Compare::CREATE)->set_create_revision(0);
  AddPut(txn.mutable_success(), leader_key_, absl::StrCat(opts_.replica_id, "\n", address), *lease);
  absl::StatusOr<etcdserverpb::TxnResponse> won = etcd_->Txn(txn);
  if (!won.ok() || !won->succeeded()) {
    (void)etcd_->RevokeLease(*lease);
    return false;
  }
  term_revision_ = won->header().revision();
  lease_ = *lease;
  deleted_below_ = 0;  // this term's own account of what it deleted
  {
    absl::MutexLock lock(&mu_);
    leader_ = {opts_.replica_id, address};
  }
  // Every acknowledged group is in etcd: hold them all before writing.
  absl::Status ready = CatchUp();
  if (ready.ok()) {
    absl::StatusOr<uint64_t> head = ReadHead();
    if (!head.ok()) {
      ready = head.status();
    } else if (*head == 0 && ledger_->Size() > 0) {
      ready = Bootstrap();
    } else if (*head != ledger_->Size()) {
      ready = absl::FailedPreconditionError(absl::StrCat(
          "etcd's head is ", *head, " but this replica holds ", ledger_->Size(), " entries"));
    }
  }
  if (ready.ok()) {
    leading_ = true;
    ready = ledger_->StartWriting();
  }
  if (!ready.ok()) {
    leading_ = true;  // so that StepDown revokes the lease
    StepDown(absl::StrCat("could not take over: ", ready.message()));
    if (StopsReplica(ready) || !ledger_->ReplicaError().ok()) Fail(ready);
    return false;
  }
  Log(LogLevel::kInfo, "leading",
      absl::StrCat("replica ", opts_.replica_id, " leads the replica set at size ",
                   ledger_->Size()),
      {{"replica", opts_.replica_id}, {"size", ledger_->Size()}, {"address", address}});
  return true;
}

absl::Status Replicator::Bootstrap() {
  const uint64_t size = ledger_->Size();
  etcdserverpb::TxnRequest txn;
  AddCompare(txn, leader_key_, Compare::CREATE)->set_create_revision(term_revision_.load());
  AddCompare(txn, head_key_, Compare::CREATE)->set_create_revision(0);
  AddPut(txn.mutable_success(), head_key_, absl::StrCat(size));
  ASSIGN_OR_RETURN(etcdserverpb::TxnResponse r, etcd_->Txn(txn));
  if (!r.succeeded()) {
    return absl::FailedPreconditionError("etcd's head appeared while this replica took over");
  }
  Log(LogLevel::kWarning, "etcd_bootstrapped",
      absl::StrCat("etcd held no head for this log: replica ", opts_.replica_id,
                   " sets it to its own size, ", size,
                   "; every other replica must hold the same log (one that differs stops at "
                   "the next group)"),
      {{"replica", opts_.replica_id}, {"size", size}});
  return absl::OkStatus();
}

void Replicator::Lead() {
  absl::Time valid_until = absl::Now() + absl::Seconds(opts_.lease_seconds);
  const absl::Duration renew = absl::Seconds(opts_.lease_seconds) / 3;
  while (leading_.load()) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), renew)) return;
    }
    if (!ledger_->ReplicaError().ok()) {
      Fail(ledger_->ReplicaError());
      return;
    }
    const absl::Time sent = absl::Now();
    absl::StatusOr<int64_t> ttl = etcd_->KeepAlive(lease_.load());
    if (ttl.ok() && *ttl > 0) {
      valid_until = sent + absl::Seconds(*ttl);
    } else if (ttl.ok() || absl::Now() >= valid_until) {
      StepDown(ttl.ok() ? "its lease expired" : ttl.status().message());
      return;
    }
    // After the renewal, never before it: these may wait on etcd.
    ReportApplied();
    Housekeep();
  }
}

void Replicator::Run() {
  std::string last_problem;
  for (;;) {
    std::string address;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      address = address_;
    }
    absl::Status caught_up = CatchUp();
    if (!caught_up.ok() && (StopsReplica(caught_up) || !ledger_->ReplicaError().ok())) {
      Fail(caught_up);
      return;
    }
    if (!caught_up.ok() && caught_up.message() != last_problem) {
      // Once per distinct problem (etcd unreachable, a gap): it is retried until it clears.
      Log(LogLevel::kWarning, "replica_behind",
          absl::StrCat("replica ", opts_.replica_id,
                       " cannot follow etcd yet: ", caught_up.ToString()),
          {{"replica", opts_.replica_id}});
    }
    last_problem = caught_up.ok() ? "" : std::string(caught_up.message());
    if (caught_up.ok()) {
      caught_up_ = true;
      ReportApplied();
    }
    ReadLeader();
    if (caught_up.ok() && !address.empty() && Leader().first.empty() && Campaign()) {
      Lead();
      continue;
    }
    WaitForChange(caught_up.ok() ? absl::Milliseconds(500) : absl::Milliseconds(200));
  }
}

}  // namespace touchstone
