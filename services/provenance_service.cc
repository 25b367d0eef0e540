// gRPC adapter for provenance lookups.
#include "services/provenance_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/bundle_builder.h"
#include "ledger/impact.h"
#include "ledger/provenance/certificate_status.h"
#include "ledger/provenance/redaction.h"
#include "ledger/search.h"
#include "services/status_convert.h"

namespace touchstone {
namespace {

// Copies a typed lookup's result into *out, or returns its error (NOT_FOUND
// "no <kind> '<id>'", DATA_LOSS for a corrupt stored value: Ledger::GetPiece ...).
template <typename T>
grpc::Status Reply(const absl::StatusOr<T>& found, T* out) {
  if (!found.ok()) return ToGrpc(found.status());
  *out = *found;
  return grpc::Status::OK;
}

// Reply for state that may hold committed-derived values: redacted by `redact`
// (ledger/provenance/redaction.h) before it leaves.
template <typename T>
grpc::Status ReplyRedacted(absl::StatusOr<T> found, T* out, void (*redact)(T&)) {
  if (found.ok()) redact(*found);
  return Reply(found, out);
}

grpc::Status NoId() { return grpc::Status(grpc::INVALID_ARGUMENT, "give an id"); }

}  // namespace

grpc::Status ProvenanceService::GetParticipant(grpc::ServerContext*, const v1::LookupRequest* req,
                                               v1::ParticipantState* resp) {
  if (req->id().empty()) return NoId();
  return Reply(ledger_->GetParticipant(req->id()), resp);
}

grpc::Status ProvenanceService::GetLot(grpc::ServerContext*, const v1::LookupRequest* req,
                                       v1::LotState* resp) {
  if (req->id().empty()) return NoId();
  return ReplyRedacted(ledger_->GetLot(req->id()), resp, &RedactLot);
}

grpc::Status ProvenanceService::GetCertificate(grpc::ServerContext*, const v1::LookupRequest* req,
                                               v1::CertificateLookup* resp) {
  if (req->id().empty()) return NoId();
  grpc::Status s = Reply(ledger_->GetCertificate(req->id()), resp->mutable_certificate());
  if (!s.ok()) return s;
  resp->set_status_now(CertificateStatusAt(resp->certificate(), absl::ToUnixMicros(absl::Now())));
  return grpc::Status::OK;
}

grpc::Status ProvenanceService::GetPiece(grpc::ServerContext*, const v1::LookupRequest* req,
                                         v1::PieceState* resp) {
  if (req->id().empty()) return NoId();
  return ReplyRedacted(ledger_->GetPiece(req->id()), resp, &RedactPiece);
}

grpc::Status ProvenanceService::GetCreditAccount(grpc::ServerContext*, const v1::LookupRequest* req,
                                                 v1::CreditAccountState* resp) {
  if (req->id().empty()) return NoId();
  return ReplyRedacted(ledger_->GetCreditAccount(req->id()), resp, &RedactCreditAccount);
}

grpc::Status ProvenanceService::GetScheme(grpc::ServerContext*, const v1::LookupRequest* req,
                                          v1::SchemeState* resp) {
  if (req->id().empty()) return NoId();
  return Reply(ledger_->GetScheme(req->id()), resp);
}

grpc::Status ProvenanceService::GetPieceBundle(grpc::ServerContext*, const v1::LookupRequest* req,
                                               v1::PieceBundle* resp) {
  if (req->id().empty()) return grpc::Status(grpc::INVALID_ARGUMENT, "give a piece id");
  absl::StatusOr<v1::PieceBundle> bundle = BuildPieceBundle(*ledger_, req->id());
  if (!bundle.ok()) return ToGrpc(bundle.status());
  *resp = std::move(*bundle);
  return grpc::Status::OK;
}

grpc::Status ProvenanceService::Search(grpc::ServerContext*, const v1::SearchQuery* req,
                                       v1::SearchAnswer* resp) {
  return Reply(touchstone::Search(*ledger_, *req), resp);
}

grpc::Status ProvenanceService::Impact(grpc::ServerContext*, const v1::ImpactQuery* req,
                                       v1::ImpactAnswer* resp) {
  return Reply(touchstone::Impact(*ledger_, *req), resp);
}

}  // namespace touchstone
