// gRPC adapter for provenance lookups.
#include "services/provenance_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/bundle_builder.h"
#include "ledger/provenance/registry.h"
#include "ledger/provenance/rules.h"
#include "ledger/provenance/state_view.h"
#include "services/status_convert.h"

namespace touchstone {
namespace {

// Reads the state message at key into *out; NOT_FOUND names the kind and id.
grpc::Status Lookup(const Ledger& ledger, std::string_view kind, const std::string& id,
                    const std::string& key, google::protobuf::Message* out) {
  if (id.empty()) return grpc::Status(grpc::INVALID_ARGUMENT, "give an id");
  absl::StatusOr<std::optional<std::string>> raw = ledger.GetState(key);
  if (!raw.ok()) return ToGrpc(raw.status());
  if (!raw->has_value()) {
    return grpc::Status(grpc::NOT_FOUND, absl::StrCat("no ", std::string(kind), " '", id, "'"));
  }
  if (!out->ParseFromString(**raw)) {
    return grpc::Status(grpc::DATA_LOSS, absl::StrCat("stored state of '", id, "' is corrupt"));
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ProvenanceService::GetParticipant(grpc::ServerContext*, const v1::LookupRequest* req,
                                               v1::ParticipantState* resp) {
  return Lookup(*ledger_, "participant", req->id(), ParticipantStateKey(req->id()), resp);
}

grpc::Status ProvenanceService::GetLot(grpc::ServerContext*, const v1::LookupRequest* req,
                                       v1::LotState* resp) {
  return Lookup(*ledger_, "lot", req->id(), LotKey(req->id()), resp);
}

grpc::Status ProvenanceService::GetCertificate(grpc::ServerContext*,
                                               const v1::LookupRequest* req,
                                               v1::CertificateLookup* resp) {
  grpc::Status s = Lookup(*ledger_, "certificate", req->id(), CertificateKey(req->id()),
                          resp->mutable_certificate());
  if (!s.ok()) return s;
  resp->set_status_now(CertificateStatusAt(resp->certificate(), absl::ToUnixMicros(absl::Now())));
  return grpc::Status::OK;
}

grpc::Status ProvenanceService::GetPiece(grpc::ServerContext*, const v1::LookupRequest* req,
                                         v1::PieceState* resp) {
  return Lookup(*ledger_, "piece", req->id(), PieceKey(req->id()), resp);
}

grpc::Status ProvenanceService::GetPieceBundle(grpc::ServerContext*,
                                               const v1::LookupRequest* req,
                                               v1::PieceBundle* resp) {
  if (req->id().empty()) return grpc::Status(grpc::INVALID_ARGUMENT, "give a piece id");
  absl::StatusOr<v1::PieceBundle> bundle = BuildPieceBundle(*ledger_, req->id());
  if (!bundle.ok()) return ToGrpc(bundle.status());
  *resp = std::move(*bundle);
  return grpc::Status::OK;
}

}  // namespace touchstone
