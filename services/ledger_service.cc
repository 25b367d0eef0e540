// gRPC adapter of the ledger.
#include "services/ledger_service.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "ledger/base/status_macros.h"
#include "ledger/ledger_check.h"
#include "services/call_deadline.h"
#include "services/malformed_request.h"
#include "services/status_convert.h"

namespace touchstone {

void ToProto(const Receipt& r, v1::Receipt* out) {
  out->set_index(r.index);
  out->set_leaf_hash(HashBytes(r.leaf_hash));
  out->set_checkpoint(r.checkpoint);
  out->set_tree_size(r.tree_size);
  out->set_duplicate(r.duplicate);
  for (const Hash& h : r.inclusion_proof) out->add_inclusion_proof(HashBytes(h));
}

namespace {

void ToProto(const absl::StatusOr<Receipt>& r, v1::SubmitResult* out) {
  out->set_code(static_cast<int>(r.status().code()));
  if (r.ok()) {
    ToProto(*r, out->mutable_receipt());
  } else {
    out->set_message(std::string(r.status().message()));
  }
}

// The opening a request carries, if any (SubmitRequest.opening).
std::optional<v1::Opening> OpeningOf(const v1::SubmitRequest& req) {
  if (!req.has_opening()) return std::nullopt;
  return req.opening();
}

}  // namespace

grpc::Status LedgerService::Submit(grpc::ServerContext* ctx, const v1::SubmitRequest* req,
                                   v1::Receipt* resp) {
  const CallDeadline deadline(*ctx, max_call_);
  absl::StatusOr<Receipt> r =
      ledger_->Submit(req->record(), req->signature(), OpeningOf(*req), deadline.time());
  if (!r.ok()) return deadline.Explain(r.status());
  ToProto(*r, resp);
  return grpc::Status::OK;
}

grpc::Status LedgerService::SubmitBatch(grpc::ServerContext* ctx, const v1::SubmitBatchRequest* req,
                                        v1::SubmitBatchResponse* resp) {
  const CallDeadline deadline(*ctx, max_call_);
  std::vector<Ledger::Submission> records;
  records.reserve(req->records_size());
  for (const auto& r : req->records()) {
    records.push_back({r.record(), r.signature(), OpeningOf(r)});
  }
  auto results = ledger_->SubmitBatch(std::move(records), deadline.time());
  if (!results.ok()) return deadline.Explain(results.status());
  for (const auto& r : *results) ToProto(r, resp->add_results());
  return grpc::Status::OK;
}

namespace {

// What the reading and the writing thread of one SubmitStream share.
struct StreamTickets {
  explicit StreamTickets(size_t max) : max_in_flight(max) {}
  bool WriterHasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return !in_flight.empty() || reading_done;
  }
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return in_flight.size() < max_in_flight;
  }

  const size_t max_in_flight;
  absl::Mutex mu;
  std::deque<Ledger::Ticket> in_flight ABSL_GUARDED_BY(mu);
  bool reading_done ABSL_GUARDED_BY(mu) = false;
};

}  // namespace

// This thread reads and verifies (Ledger::Start); a second one finishes the
// tickets in order and writes the results, so reading never waits for a commit.
grpc::Status LedgerService::SubmitStream(
    grpc::ServerContext*, grpc::ServerReaderWriter<v1::SubmitResult, v1::SubmitRequest>* stream) {
  StreamTickets t(std::max<size_t>(1, ledger_->options().max_batch));
  std::thread writer([&] {
    bool client_gone = false;
    for (;;) {
      std::optional<Ledger::Ticket> ticket;
      {
        absl::MutexLock lock(&t.mu);
        t.mu.Await(absl::Condition(&t, &StreamTickets::WriterHasWork));
        if (t.in_flight.empty()) return;
        ticket.emplace(std::move(t.in_flight.front()));
        t.in_flight.pop_front();
      }
      // Every ticket is finished, even once the client is gone: its record may commit.
      const absl::StatusOr<Receipt> r = ledger_->Finish(*ticket);
      if (client_gone) continue;
      v1::SubmitResult out;
      ToProto(r, &out);
      if (!stream->Write(out)) client_gone = true;
    }
  });
  v1::SubmitRequest req;
  StreamRequestReader<v1::SubmitRequest> reader("/touchstone.v1.Ledger/SubmitStream");
  while (reader.Next(*stream, &req)) {
    std::optional<v1::Opening> opening = OpeningOf(req);
    Ledger::Ticket ticket = ledger_->Start(std::move(*req.mutable_record()),
                                           std::move(*req.mutable_signature()), std::move(opening));
    absl::MutexLock lock(&t.mu);
    t.mu.Await(absl::Condition(&t, &StreamTickets::HasRoom));
    t.in_flight.push_back(std::move(ticket));
  }
  {
    absl::MutexLock lock(&t.mu);
    t.reading_done = true;
  }
  writer.join();
  return reader.status();  // OK, or INVALID_ARGUMENT for a message that is not a request
}

// One session for the whole stream: each record is checked against what the
// stream's earlier records would have made of the state.
grpc::Status LedgerService::CheckStream(
    grpc::ServerContext*, grpc::ServerReaderWriter<v1::SubmitResult, v1::SubmitRequest>* stream) {
  // Each session holds its records in memory: only a few at a time.
  if (check_streams_.fetch_add(1) >= kMaxCheckStreams) {
    check_streams_.fetch_sub(1);
    return ToGrpc(absl::ResourceExhaustedError(absl::StrCat(
        kMaxCheckStreams, " dry runs (CheckStream) are running; try again when one ends")));
  }
  absl::Cleanup release = [this] { check_streams_.fetch_sub(1); };
  absl::StatusOr<std::unique_ptr<Ledger::CheckSession>> session = ledger_->StartCheck();
  if (!session.ok()) return ToGrpc(session.status());
  v1::SubmitRequest req;
  StreamRequestReader<v1::SubmitRequest> reader("/touchstone.v1.Ledger/CheckStream");
  uint64_t checked = 0;
  while (reader.Next(*stream, &req)) {
    if (checked++ == kMaxCheckRecords) {
      return ToGrpc(absl::ResourceExhaustedError(
          absl::StrCat("a dry run checks at most ", kMaxCheckRecords,
                       " records per stream; check the rest in another (rows that depend on "
                       "earlier ones must be in the same stream)")));
    }
    std::optional<v1::Opening> opening = OpeningOf(req);
    absl::StatusOr<CheckOutcome> outcome = (*session)->Check(
        std::move(*req.mutable_record()), std::move(*req.mutable_signature()), std::move(opening));
    v1::SubmitResult out;
    out.set_code(static_cast<int>(outcome.status().code()));
    if (outcome.ok()) {
      out.mutable_receipt()->set_index(outcome->index);
      out.mutable_receipt()->set_duplicate(outcome->duplicate);
    } else {
      out.set_message(std::string(outcome.status().message()));
    }
    if (!stream->Write(out))
      return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
  }
  return reader.status();
}

grpc::Status LedgerService::GetEntry(grpc::ServerContext*, const v1::GetEntryRequest* req,
                                     v1::Entry* resp) {
  absl::StatusOr<std::string> e = ledger_->GetEntry(req->index());
  if (!e.ok()) return ToGrpc(e.status());
  resp->set_index(req->index());
  resp->set_leaf_hash(HashBytes(LeafHash(*e)));
  resp->set_data(std::move(*e));
  return grpc::Status::OK;
}

grpc::Status LedgerService::GetEntries(grpc::ServerContext* ctx, const v1::GetEntriesRequest* req,
                                       grpc::ServerWriter<v1::Entry>* writer) {
  const CallDeadline deadline(*ctx, max_call_);
  const uint64_t end = req->end() == 0 ? ledger_->Size() : req->end();
  absl::Status s = ledger_->ScanEntries(
      req->start(), end, [&](uint64_t index, std::string_view data) -> absl::Status {
        if (ctx->IsCancelled()) return absl::CancelledError("the client cancelled the stream");
        if (deadline.Expired()) {
          return absl::DeadlineExceededError(
              absl::StrCat("GetEntries stopped before entry ", index, "; ask again from there"));
        }
        v1::Entry e;
        e.set_index(index);
        e.set_data(std::string(data));
        e.set_leaf_hash(HashBytes(LeafHash(data)));
        if (!writer->Write(e)) return absl::CancelledError("the client went away");
        return absl::OkStatus();
      });
  return deadline.Explain(s);
}

grpc::Status LedgerService::GetCheckpoint(grpc::ServerContext*, const v1::GetCheckpointRequest* req,
                                          v1::CheckpointResponse* resp) {
  if (req->size() == 0) {
    auto [size, note] = ledger_->LatestCheckpoint();
    resp->set_size(size);
    resp->set_checkpoint(std::move(note));
    return grpc::Status::OK;
  }
  absl::StatusOr<std::string> note = ledger_->GetCheckpoint(req->size());
  if (!note.ok()) return ToGrpc(note.status());
  resp->set_size(req->size());
  resp->set_checkpoint(std::move(*note));
  return grpc::Status::OK;
}

namespace {

// The tree size a proof request asks for (0 = latest) and its checkpoint.
[[nodiscard]] absl::StatusOr<std::pair<uint64_t, std::string>> CheckpointFor(const Ledger& ledger,
                                                                             uint64_t size) {
  if (size == 0) return ledger.LatestCheckpoint();
  ASSIGN_OR_RETURN(std::string note, ledger.GetCheckpoint(size));
  return std::make_pair(size, std::move(note));
}

}  // namespace

grpc::Status LedgerService::GetInclusionProof(grpc::ServerContext*,
                                              const v1::GetInclusionProofRequest* req,
                                              v1::InclusionProofResponse* resp) {
  auto cp = CheckpointFor(*ledger_, req->tree_size());
  if (!cp.ok()) return ToGrpc(cp.status());
  uint64_t index = 0;
  absl::StatusOr<std::vector<Hash>> proof;
  switch (req->leaf_case()) {
    case v1::GetInclusionProofRequest::kIndex:
      index = req->index();
      proof = ledger_->InclusionProof(index, cp->second);
      break;
    case v1::GetInclusionProofRequest::kLeafHash: {
      absl::StatusOr<Hash> h = HashFromBytes(req->leaf_hash());
      if (!h.ok()) return ToGrpc(h.status());
      absl::StatusOr<uint64_t> found = ledger_->FindLeaf(*h);
      if (!found.ok()) return ToGrpc(found.status());
      index = *found;
      proof = ledger_->InclusionProof(index, *h, cp->second);
      break;
    }
    case v1::GetInclusionProofRequest::LEAF_NOT_SET:
      return grpc::Status(grpc::INVALID_ARGUMENT, "give a leaf index or a leaf hash");
  }
  if (!proof.ok()) return ToGrpc(proof.status());
  resp->set_index(index);
  resp->set_tree_size(cp->first);
  resp->set_checkpoint(std::move(cp->second));
  for (const Hash& h : *proof) resp->add_hashes(HashBytes(h));
  return grpc::Status::OK;
}

grpc::Status LedgerService::GetConsistencyProof(grpc::ServerContext*,
                                                const v1::GetConsistencyProofRequest* req,
                                                v1::ConsistencyProofResponse* resp) {
  auto cp = CheckpointFor(*ledger_, req->new_size());
  if (!cp.ok()) return ToGrpc(cp.status());
  auto proof = ledger_->ConsistencyProof(req->old_size(), cp->second);
  if (!proof.ok()) return ToGrpc(proof.status());
  resp->set_old_size(req->old_size());
  resp->set_new_size(cp->first);
  resp->set_checkpoint(std::move(cp->second));
  for (const Hash& h : *proof) resp->add_hashes(HashBytes(h));
  return grpc::Status::OK;
}

grpc::Status LedgerService::GetLogInfo(grpc::ServerContext*, const v1::GetLogInfoRequest*,
                                       v1::LogInfo* resp) {
  const LogInfo info = ledger_->Info();
  resp->set_origin(info.origin);
  resp->set_verifier_key(info.verifier_key);
  for (uint64_t h : info.key_handovers) resp->add_key_handovers(h);
  resp->set_size(info.size);
  resp->set_max_batch(static_cast<uint32_t>(ledger_->options().max_batch));
  resp->set_max_record_bytes(static_cast<uint32_t>(ledger_->options().max_record_bytes));
  if (const auto cosigned = ledger_->LatestCosigned()) resp->set_witnessed_size(cosigned->first);
  if (const auto audited = ledger_->LatestAudited()) resp->set_audited_size(audited->first);
  return grpc::Status::OK;
}

grpc::Status LedgerService::AddAuditCosignature(grpc::ServerContext*,
                                                const v1::AddAuditCosignatureRequest* req,
                                                v1::AddAuditCosignatureResponse* resp) {
  absl::StatusOr<AuditCosignResult> r = ledger_->AddAuditCosignature(req->cosigned_checkpoint());
  if (!r.ok()) return ToGrpc(r.status());
  resp->set_size(r->size);
  for (const std::string& a : r->added) resp->add_added(a);
  for (const std::string& a : r->auditors) resp->add_auditors(a);
  resp->set_audited_size(r->audited_size);
  return grpc::Status::OK;
}

grpc::Status LedgerService::GetAuditedCheckpoint(grpc::ServerContext*,
                                                 const v1::GetAuditedCheckpointRequest*,
                                                 v1::CheckpointResponse* resp) {
  const auto audited = ledger_->LatestAudited();
  if (!audited) return ToGrpc(absl::NotFoundError("no checkpoint is audited yet"));
  resp->set_size(audited->first);
  resp->set_checkpoint(audited->second);
  return grpc::Status::OK;
}

}  // namespace touchstone
