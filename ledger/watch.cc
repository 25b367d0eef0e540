#include "ledger/watch.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/status_macros.h"
#include "ledger/impact.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/record.h"

namespace touchstone {
namespace {

bool Intersects(const absl::flat_hash_set<std::string>& have,
                const google::protobuf::RepeatedPtrField<std::string>& want) {
  return std::any_of(want.begin(), want.end(),
                     [&](const std::string& id) { return have.contains(id); });
}

bool ListsIds(const v1::WatchFilter& f) {
  return !f.participants().empty() || !f.lots().empty() || !f.pieces().empty() ||
         !f.certificates().empty();
}

}  // namespace

absl::StatusOr<Watcher> Watcher::Start(const Ledger& ledger, const v1::WatchRequest& request,
                                       WatchLimits limits) {
  for (const std::string& type : request.filter().record_types()) {
    if (!IsRecordTypeName(type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown record type '", type, "'; one of: ", absl::StrJoin(RecordTypeNames(), ", ")));
    }
  }
  Watcher w(ledger, request, limits);
  const uint64_t head = w.Head().first;
  if (request.from_index() > head) {
    return absl::OutOfRangeError(
        absl::StrCat("from_index ", request.from_index(), " is beyond the log's ",
                     request.cosigned() ? "cosigned " : "", "size ", head));
  }
  if (request.known_size() > head) {
    return absl::OutOfRangeError(
        absl::StrCat("known_size ", request.known_size(), " is beyond the log's ",
                     request.cosigned() ? "cosigned " : "", "size ", head,
                     ": this log is not the one that checkpoint came from, or it was rewound"));
  }
  w.next_ = request.from_index();
  w.client_next_ = request.from_index();
  w.client_size_ = request.known_size();
  return w;
}

std::pair<uint64_t, std::string> Watcher::Head() const {
  if (!request_.cosigned()) return ledger_->LatestCheckpoint();
  std::optional<std::pair<uint64_t, std::string>> c = ledger_->LatestCosigned();
  return c ? *std::move(c) : std::make_pair(uint64_t{0}, std::string());
}

bool Watcher::Concerns(const RecordSubjects& s) const {
  const v1::WatchFilter& f = request_.filter();
  return !ListsIds(f) || Intersects(s.participants, f.participants()) ||
         Intersects(s.lots, f.lots()) || Intersects(s.pieces, f.pieces()) ||
         Intersects(s.certificates, f.certificates());
}

absl::StatusOr<std::optional<v1::WatchEntry>> Watcher::Match(uint64_t index, std::string_view data,
                                                             uint64_t head_size) const {
  ASSIGN_OR_RETURN(v1::Record record, RecordOfEntry(index, data));
  const std::string type = RecordTypeName(record);
  const auto& types = request_.filter().record_types();
  if (!types.empty() && std::find(types.begin(), types.end(), type) == types.end()) {
    return std::nullopt;
  }
  RecordSubjects subjects = RecordSubjectsOf(record);
  if (record.has_error_declared() && record.error_declared().wrong_index() < index) {
    ASSIGN_OR_RETURN(v1::Record wrong, ledger_->ReadRecord(record.error_declared().wrong_index()));
    subjects.Merge(RecordSubjectsOf(wrong));
  }
  v1::WatchEntry e;
  if (record.has_certificate_status_changed()) {
    const std::string& id = record.certificate_status_changed().certificate_id();
    // Its subject, and everything that descends from what relied on it.
    ASSIGN_OR_RETURN(v1::CertificateState cert, ledger_->GetCertificate(id));
    if (!cert.subject_participant().empty())
      subjects.participants.insert(cert.subject_participant());
    if (!cert.subject_lot().empty()) subjects.lots.insert(cert.subject_lot());
    v1::ImpactQuery q;
    q.set_certificate(id);
    q.set_at_size(head_size);
    ASSIGN_OR_RETURN(v1::ImpactAnswer impact, Impact(*ledger_, q));
    for (const v1::ImpactItem& item : impact.items()) {
      if (item.kind() == "lot") subjects.lots.insert(item.id());
      if (item.kind() != "piece") continue;
      e.add_affected_pieces(item.id());
      subjects.pieces.insert(item.id());
      if (!item.participant().empty()) subjects.participants.insert(item.participant());
    }
  }
  if (!Concerns(subjects)) return std::nullopt;
  e.set_index(index);
  e.set_leaf_hash(HashBytes(LeafHash(data)));
  e.set_data(std::string(data));
  e.set_record_type(type);
  return e;
}

absl::StatusOr<v1::WatchEvent> Watcher::CheckpointEvent(
    const std::pair<uint64_t, std::string>& head, const std::vector<uint64_t>& sent) {
  v1::WatchEvent event;
  v1::WatchCheckpoint& c = *event.mutable_checkpoint();
  c.set_checkpoint(head.second);
  c.set_size(head.first);
  c.set_next_index(next_);
  for (uint64_t index : sent) {
    ASSIGN_OR_RETURN(std::vector<Hash> proof, ledger_->InclusionProof(index, head.second));
    v1::WatchProof& p = *c.add_proofs();
    p.set_index(index);
    for (const Hash& h : proof) p.add_hashes(HashBytes(h));
  }
  if (client_size_ > 0 && client_size_ < head.first) {
    ASSIGN_OR_RETURN(std::vector<Hash> proof, ledger_->ConsistencyProof(client_size_, head.second));
    c.set_consistency_from(client_size_);
    for (const Hash& h : proof) c.add_consistency(HashBytes(h));
  }
  client_size_ = head.first;
  client_next_ = next_;
  last_checkpoint_ = absl::Now();
  return event;
}

absl::StatusOr<std::vector<v1::WatchEvent>> Watcher::Next(absl::Time deadline) {
  ledger_->AwaitSize(next_, request_.cosigned(), deadline);
  const std::pair<uint64_t, std::string> head = Head();
  if (head.first <= next_) {
    // Quiet: tell the client where silent rounds took it, if they did.
    if (next_ == client_next_) return std::vector<v1::WatchEvent>{};
    ASSIGN_OR_RETURN(v1::WatchEvent checkpoint, CheckpointEvent(head, {}));
    return std::vector<v1::WatchEvent>{std::move(checkpoint)};
  }
  const uint64_t end = std::min(head.first, next_ + limits_.max_scan);
  std::vector<v1::WatchEvent> events;
  std::vector<uint64_t> sent;
  uint64_t reached = next_;
  absl::Status scan =
      ledger_->ScanEntries(next_, end, [&](uint64_t index, std::string_view data) -> absl::Status {
        if (sent.size() >= limits_.max_entries) return absl::CancelledError("round full");
        ASSIGN_OR_RETURN(std::optional<v1::WatchEntry> e, Match(index, data, head.first));
        if (e) {
          sent.push_back(index);
          *events.emplace_back().mutable_entry() = *std::move(e);
        }
        reached = index + 1;
        return absl::OkStatus();
      });
  if (!scan.ok() && !absl::IsCancelled(scan)) return scan;
  next_ = reached;
  if (sent.empty() && absl::Now() - last_checkpoint_ < limits_.heartbeat) return events;
  ASSIGN_OR_RETURN(v1::WatchEvent checkpoint, CheckpointEvent(head, sent));
  events.push_back(std::move(checkpoint));
  return events;
}

absl::StatusOr<std::vector<v1::WatchEvent>> Watcher::Flush() {
  std::vector<v1::WatchEvent> events;
  if (next_ == client_next_) return events;
  const std::pair<uint64_t, std::string> head = Head();
  ASSIGN_OR_RETURN(v1::WatchEvent checkpoint, CheckpointEvent(head, {}));
  events.push_back(std::move(checkpoint));
  return events;
}

}  // namespace touchstone
