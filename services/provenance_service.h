// gRPC adapter for provenance lookups: the derived state of participants,
// lots, certificates and pieces, with the log indices behind each.
#ifndef TOUCHSTONE_SERVICES_PROVENANCE_SERVICE_H_
#define TOUCHSTONE_SERVICES_PROVENANCE_SERVICE_H_

#include "ledger/ledger.h"
#include "proto/provenance_service.grpc.pb.h"

namespace touchstone {

// Thread-safe (the ledger is).
class ProvenanceService final : public v1::Provenance::Service {
 public:
  explicit ProvenanceService(const Ledger* ledger) : ledger_(ledger) {}

  grpc::Status GetParticipant(grpc::ServerContext*, const v1::LookupRequest* req,
                              v1::ParticipantState* resp) override;
  grpc::Status GetLot(grpc::ServerContext*, const v1::LookupRequest* req,
                      v1::LotState* resp) override;
  grpc::Status GetCertificate(grpc::ServerContext*, const v1::LookupRequest* req,
                              v1::CertificateLookup* resp) override;
  grpc::Status GetPiece(grpc::ServerContext*, const v1::LookupRequest* req,
                        v1::PieceState* resp) override;
  grpc::Status GetCreditAccount(grpc::ServerContext*, const v1::LookupRequest* req,
                                v1::CreditAccountState* resp) override;
  grpc::Status GetScheme(grpc::ServerContext*, const v1::LookupRequest* req,
                         v1::SchemeState* resp) override;
  grpc::Status GetPieceBundle(grpc::ServerContext*, const v1::LookupRequest* req,
                              v1::PieceBundle* resp) override;
  grpc::Status Search(grpc::ServerContext*, const v1::SearchQuery* req,
                      v1::SearchAnswer* resp) override;
  grpc::Status Impact(grpc::ServerContext*, const v1::ImpactQuery* req,
                      v1::ImpactAnswer* resp) override;

 private:
  const Ledger* ledger_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_PROVENANCE_SERVICE_H_
